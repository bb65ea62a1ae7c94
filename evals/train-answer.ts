import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession } from "../cli/session.js";
import { ExtractiveAnswerer, type ScoredUnit } from "../tools/answer/extractive.js";
import {
  cueClasses,
  QUESTION_CLASS_MODEL_FILE,
  QUESTION_CLASSES,
  questionClassFeatures,
  type QuestionClass,
  type QuestionClassModel,
} from "../tools/answer/question-class.js";
import type { Passage } from "../tools/answer/types.js";
import { UNIT_FEATURE_SIGNS, UNIT_FEATURES } from "../tools/answer/unit-features.js";

const SIGNS = UNIT_FEATURES.map((f) => UNIT_FEATURE_SIGNS[f]);
import { UNIT_SCORER_FILE, type UnitScorerModel } from "../tools/answer/unit-scorer.js";
import { bestClass, fitSparseLogistic, predictSparse, topFeatures, type SparseExample } from "../tools/learn/sparse-logistic.js";
import { loadDataset, type EvalItem } from "./dataset.js";
import { factsFound } from "./metrics.js";
import { trainPairwise, type RankingExample } from "./train-reranker.js";

/** Whitespace and case folded, for matching a labelled unit against the answerer's units. */
const flat = (text: string) => text.replace(/\s+/g, " ").trim().toLowerCase();

/** The units that answer the question: those holding its labelled unit, else (silver) those holding a fact. */
export function positiveUnits(item: EvalItem, units: ScoredUnit[], pool: Passage[]): { ids: number[]; silver: boolean } {
  const inGold = (u: ScoredUnit) => item.gold.includes(pool[u.passage]!.chunk.ficheId);
  if (item.unit) {
    const label = flat(item.unit);
    const ids = units.flatMap((u, i) => {
      const text = flat(u.text);
      return inGold(u) && (text.includes(label) || (text.length >= 25 && label.includes(text))) ? [i] : [];
    });
    if (ids.length > 0) return { ids, silver: false };
  }
  const facts = item.facts ?? [];
  const ids = units.flatMap((u, i) => (inGold(u) && facts.length > 0 && factsFound(u.text, facts) > 0 ? [i] : []));
  return { ids, silver: true };
}

interface UnitExample extends RankingExample {
  item: EvalItem;
  pool: Passage[];
}

/**
 * `npm run train:answer`: learns, on the dev split, (1) the question-class model (one-vs-rest logistic regression
 * over the question's words and the rule cues) from the hand-labelled classes and (2) the unit scorer (pairwise
 * logistic regression over tools/answer/unit-features.ts) from the labelled answer units. Both penalties are chosen
 * by k-fold cross-validation; the tables are cross-validated. Refuses a file named like the test split.
 */
export async function trainAnswerMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("train:answer")
    .description("Learn the question classifier and the answer-unit scorer on the dev split")
    .option("--dataset <file>", "labelled dev split", "evals/datasets/dev.jsonl")
    .option("--folds <n>", "cross-validation folds", (v) => Number(v), 5)
    .option("--no-write", "print the tables without writing the models")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dataset: string; folds: number; write: boolean }>();
  if (/test/i.test(basename(opts.dataset))) throw new Error(`${opts.dataset}: refusing to train on the test split`);
  const items = loadDataset(opts.dataset).filter((i) => i.gold.length > 0);
  const out: string[] = [];

  // 1. Question classes.
  const labelled = items.filter((i): i is EvalItem & { class: QuestionClass } => Boolean(i.class));
  const classExamples: SparseExample[] = labelled.map((i) => ({ features: questionClassFeatures(i.question), label: i.class }));
  const rulesAccuracy = labelled.filter((i) => (cueClasses(i.question)[0] ?? "procedure") === i.class).length / Math.max(labelled.length, 1);
  let bestClassLambda = { lambda: 0.01, accuracy: -1 };
  const classRows: string[] = [];
  for (const lambda of [0.001, 0.003, 0.01, 0.03]) {
    let right = 0;
    for (let fold = 0; fold < opts.folds; fold++) {
      const model = fitSparseLogistic(classExamples.filter((_, i) => i % opts.folds !== fold), { lambda, minCount: 1 });
      classExamples.forEach((e, i) => {
        if (i % opts.folds === fold && bestClass(predictSparse(model, e.features)).label === e.label) right += 1;
      });
    }
    const accuracy = right / Math.max(classExamples.length, 1);
    classRows.push(`  model, λ=${lambda} (cv): ${accuracy.toFixed(3)}`);
    if (accuracy > bestClassLambda.accuracy) bestClassLambda = { lambda, accuracy };
  }
  out.push(`question classes: ${labelled.length} labelled questions; accuracy of the first cue alone ${rulesAccuracy.toFixed(3)}`, ...classRows);
  const classModel = fitSparseLogistic(classExamples, { lambda: bestClassLambda.lambda, minCount: 1 });
  for (const cls of classModel.classes) out.push(`  top features ${cls}: ${topFeatures(classModel, cls, 6).map(([f, w]) => `${f} ${w.toFixed(2)}`).join(", ")}`);
  const classFile: QuestionClassModel = {
    classes: classModel.classes.filter((c): c is QuestionClass => (QUESTION_CLASSES as readonly string[]).includes(c)),
    byClass: classModel.byClass,
    trainedOn: `${opts.dataset} (${labelled.length} labelled questions)`,
    lambda: bestClassLambda.lambda,
  };

  // 2. Answer units, with the class model just learnt in place (as at run time).
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message));
  const base = session.capabilities.answerer as ExtractiveAnswerer;
  const examples: UnitExample[] = [];
  let silver = 0;
  let skipped = 0;
  for (const item of items) {
    const hits = await session.capabilities.search.searchAsync(item.question, { k: session.config.topK, maxPerFiche: session.config.maxPerFiche });
    const pool = base.expand(hits.map((h) => ({ chunk: h.chunk, score: h.score, rank: h.rank })));
    const scored = base.scoreUnits(item.question, pool);
    if (!scored || scored.units.length === 0) {
      skipped += 1;
      continue;
    }
    const { ids, silver: isSilver } = positiveUnits(item, scored.units, pool);
    if (ids.length === 0) {
      skipped += 1;
      continue;
    }
    if (isSilver) silver += 1;
    const unitIds = scored.units.map((_, i) => `u${i}`);
    examples.push({ style: item.style ?? "unspecified", gold: ids.map((i) => `u${i}`), ficheIds: unitIds, rows: scored.units.map((u) => u.features), item, pool });
  }
  out.push("", `answer units: ${examples.length} questions with an answering unit among the candidates (${silver} located by their facts only), ${skipped} without`);

  const factsWith = (weights: number[], subset: UnitExample[]) => {
    const answerer = new ExtractiveAnswerer({ ...base.options, unitWeights: weights });
    let sum = 0;
    let n = 0;
    let point = 0;
    for (const e of subset) {
      const reply = answerer.answerSync(e.item.question, e.pool);
      if (e.item.facts?.length) {
        sum += factsFound(reply.answer, e.item.facts);
        n += 1;
      }
      const scored = answerer.scoreUnits(e.item.question, e.pool);
      if (scored && e.gold.includes(`u${base.scoreUnits(e.item.question, e.pool)!.units.findIndex((u) => u.text === scored.units[0]!.text && u.passage === scored.units[0]!.passage)}`)) point += 1;
    }
    return { facts: n ? sum / n : 0, point: subset.length ? point / subset.length : 0 };
  };
  const hand = factsWith(base.options.unitWeights, examples);
  out.push(`  current weights: facts in answer ${hand.facts.toFixed(3)}, answering unit first ${hand.point.toFixed(3)}`);
  let best = { lambda: 0, facts: -1, weights: base.options.unitWeights };
  for (const lambda of [0, 0.001, 0.01, 0.1]) {
    let factsSum = 0;
    let pointSum = 0;
    for (let fold = 0; fold < opts.folds; fold++) {
      const train = examples.filter((_, i) => i % opts.folds !== fold);
      const held = examples.filter((_, i) => i % opts.folds === fold);
      const w = trainPairwise(train, { lambda, epochs: 400, signs: SIGNS });
      const r = factsWith(w, held);
      factsSum += r.facts * held.length;
      pointSum += r.point * held.length;
    }
    const facts = factsSum / examples.length;
    out.push(`  learned, λ=${lambda} (cv): facts in answer ${facts.toFixed(3)}, answering unit first ${(pointSum / examples.length).toFixed(3)}`);
    if (facts > best.facts) best = { lambda, facts, weights: [] };
  }
  const weights = trainPairwise(examples, { lambda: best.lambda, epochs: 400, signs: SIGNS }).map((w) => Math.round(w * 1e4) / 1e4);
  out.push(`  chosen λ=${best.lambda}; weights: ${UNIT_FEATURES.map((f, i) => `${f} ${weights[i]}`).join(", ")}`);
  const unitFile: UnitScorerModel = {
    features: [...UNIT_FEATURES],
    weights,
    trainedOn: `${opts.dataset} (${examples.length} questions), corpus ${session.capabilities.snapshot.source}`,
    lambda: best.lambda,
  };
  await writeLine(io.stdout, out.join("\n"));
  if (opts.write) {
    const files: Array<[string, unknown]> = [[UNIT_SCORER_FILE, unitFile]];
    // Too few labelled classes to learn from: the rules keep deciding.
    if (labelled.length >= 50) files.push([QUESTION_CLASS_MODEL_FILE, classFile]);
    for (const [file, model] of files) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(model, null, 1)}\n`);
      await writeLine(io.stderr, `model written to ${file}`);
    }
  }
  return 0;
}

if (process.argv[1]?.endsWith("evals/train-answer.ts")) await runMain(trainAnswerMain);
