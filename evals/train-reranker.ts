import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, relative } from "node:path";
import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession } from "../cli/session.js";
import { loadDataset } from "./dataset.js";
import { alignedTable, computeMetrics, groupBy, RANKING_HEADER, rankingCells, type Metrics, type QuestionOutcome } from "./metrics.js";
import { applyOrder, FicheBm25Reranker } from "../tools/search/rerank.js";
import { RERANK_FEATURES, rerankFeatures } from "../tools/search/rerank-features.js";
import { linearScore, orderByScore, RERANK_MODEL_FILE, type LinearRerankModel } from "../tools/search/rerank-learned.js";

/** One training question: its candidates' feature rows and which candidates are gold. */
export interface RankingExample {
  style: string;
  gold: string[];
  ficheIds: string[];
  rows: number[][];
}

export interface TrainOptions {
  /** L2 penalty on the weights. */
  lambda: number;
  epochs: number;
  learningRate: number;
  /** Sign each weight must keep (+1 at least 0, -1 at most 0, 0 free): what a feature means, kept by projection. */
  signs?: number[];
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { lambda: 0, epochs: 1500, learningRate: 1 };

/**
 * Pairwise logistic regression (RankNet with a linear scorer): for every (gold, other) pair of candidates of a
 * question, pushes the gold one's score above the other's. Full-batch gradient descent from "first stage order
 * only" (weight 1 on the first feature), so training is deterministic.
 */
export function trainPairwise(examples: RankingExample[], options: Partial<TrainOptions> = {}): number[] {
  const { lambda, epochs, learningRate, signs } = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const dims = examples.find((e) => e.rows.length > 0)?.rows[0]?.length ?? 0;
  const weights = new Array<number>(dims).fill(0);
  if (dims > 0) weights[0] = 1;
  const pairs: number[][] = [];
  for (const { gold, ficheIds, rows } of examples) {
    const isGold = ficheIds.map((id) => gold.includes(id));
    rows.forEach((good, i) => {
      if (!isGold[i]) return;
      rows.forEach((other, j) => {
        if (!isGold[j]) pairs.push(good.map((x, d) => x - other[d]!));
      });
    });
  }
  if (pairs.length === 0) return weights;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gradient = new Array<number>(dims).fill(0);
    for (const diff of pairs) {
      const pull = 1 / (1 + Math.exp(linearScore(weights, diff)));
      for (let d = 0; d < dims; d++) gradient[d]! += pull * diff[d]!;
    }
    for (let d = 0; d < dims; d++) {
      weights[d]! += learningRate * (gradient[d]! / pairs.length - lambda * weights[d]!);
      const sign = signs?.[d] ?? 0;
      if (sign * weights[d]! < 0) weights[d] = 0;
    }
  }
  return weights;
}

const outcome = (example: RankingExample, ranking: string[]): QuestionOutcome => ({
  gold: example.gold,
  ranking: ranking.slice(0, 10),
  answer: "",
  answered: true,
  style: example.style,
  lang: "fr",
});

/** Metrics over all questions and per style. */
export function rankingMetrics(examples: RankingExample[], rankings: string[][]): Record<string, Metrics> {
  const outcomes = examples.map((e, i) => outcome(e, rankings[i]!));
  const byStyle = Object.entries(groupBy(outcomes, (o) => o.style)).map(([style, m]) => [`style=${style}`, m] as const);
  return { all: computeMetrics(outcomes), ...Object.fromEntries(byStyle) };
}

/** k-fold cross-validation (question i in fold i mod k): every question is ranked by weights that never saw it. */
export function crossValidate(examples: RankingExample[], folds: number, options: Partial<TrainOptions>): string[][] {
  const rankings: string[][] = new Array<string[]>(examples.length);
  for (let fold = 0; fold < folds; fold++) {
    const weights = trainPairwise(
      examples.filter((_, i) => i % folds !== fold),
      options,
    );
    examples.forEach((example, i) => {
      if (i % folds === fold) rankings[i] = orderByScore(weights, example.ficheIds, example.rows);
    });
  }
  return rankings;
}

function table(rows: Array<[string, Record<string, Metrics>]>): string[] {
  const cells = rows.flatMap(([name, groups]) => Object.entries(groups).map(([group, m]) => [name, group, ...rankingCells(m)]));
  return alignedTable(["ranking", "group", ...RANKING_HEADER], cells, 2);
}

/**
 * `npm run train:rerank`: learns the offline re-ranker's weights on the dev split. The L2 penalty is chosen by
 * cross-validation on that split; the test split is refused (it is for reporting only).
 */
export async function trainRerankerMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("train:rerank")
    .option("--dataset <file>", "questions with gold fiches (the dev split)", "evals/datasets/dev.jsonl")
    .option("--folds <n>", "cross-validation folds", (v) => Number(v), 5)
    .option("--lambdas <list>", "L2 penalties tried", "0,0.001,0.01,0.1")
    .option("--out <file>", "model file written", relative(process.cwd(), RERANK_MODEL_FILE))
    .option("--no-write", "print the cross-validation table only")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dataset: string; folds: number; lambdas: string; out: string; write: boolean }>();
  if (/test/i.test(basename(opts.dataset))) throw new Error(`${opts.dataset}: the test split is for reporting, never for training`);
  if (!Number.isInteger(opts.folds) || opts.folds < 2) throw new Error(`--folds: an integer >= 2 expected, got ${opts.folds}`);
  const lambdas = opts.lambdas.split(",").map(Number).sort((a, b) => a - b);
  if (lambdas.some((l) => !Number.isFinite(l) || l < 0)) throw new Error(`--lambdas: non-negative numbers expected, got ${opts.lambdas}`);

  // The model being trained is not loaded: the first stage is ranked without any re-ranker.
  const session = await openSession({ ...io.env, GUICHET_RERANK: "none" }, (message) => void writeLine(io.stderr, message), false);
  const search = session.capabilities.search;
  const fiches = search.lexical.ficheIndex;
  if (!fiches) throw new Error("the index has no whole-fiche index: rebuild it with npm run ingest");
  const examples: RankingExample[] = [];
  const wholeFiche: string[][] = [];
  const fusion = new FicheBm25Reranker(fiches);
  for (const item of loadDataset(opts.dataset).filter((i) => i.gold.length > 0)) {
    const candidates = search.firstStageCandidates(item.question, { mode: "bm25" });
    const ficheIds = candidates.map((c) => c.ficheId);
    examples.push({ style: item.style ?? "unspecified", gold: item.gold, ficheIds, rows: rerankFeatures(item.question, candidates, fiches) });
    wholeFiche.push(applyOrder(ficheIds, fusion.rerank(item.question, candidates)));
  }

  const results: Array<[string, Record<string, Metrics>]> = [
    ["first stage (BM25)", rankingMetrics(examples, examples.map((e) => e.ficheIds))],
    ["whole-fiche RRF", rankingMetrics(examples, wholeFiche)],
  ];
  let best = { lambda: lambdas[0]!, mrr: -1 };
  for (const lambda of lambdas) {
    const metrics = rankingMetrics(examples, crossValidate(examples, opts.folds, { lambda }));
    results.push([`learned, λ=${lambda} (cv)`, metrics]);
    // Ties go to the larger penalty (the simpler model).
    if (metrics.all!["mrr@10"] >= best.mrr) best = { lambda, mrr: metrics.all!["mrr@10"] };
  }
  const weights = trainPairwise(examples, { lambda: best.lambda });
  const model: LinearRerankModel & { cv: Record<string, Metrics>; date: string } = {
    features: [...RERANK_FEATURES],
    weights: weights.map((w) => Math.round(w * 1e4) / 1e4),
    trainedOn: `${opts.dataset} (${examples.length} questions), corpus ${session.capabilities.snapshot.source}`,
    lambda: best.lambda,
    candidates: search.options.rerankCandidates,
    cv: results.find(([name]) => name === `learned, λ=${best.lambda} (cv)`)![1],
    date: new Date().toISOString().slice(0, 10),
  };
  const report = [
    `${opts.dataset}: ${examples.length} questions, ${search.options.rerankCandidates} candidates each, ${opts.folds}-fold cross-validation`,
    "",
    ...table(results),
    "",
    `chosen: λ=${best.lambda}; weights: ${RERANK_FEATURES.map((name, i) => `${name} ${model.weights[i]}`).join(", ")}`,
  ];
  await writeLine(io.stdout, report.join("\n"));
  if (opts.write) {
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(model, null, 2)}\n`);
    await writeLine(io.stderr, `model written to ${opts.out}`);
  }
  return 0;
}

if (process.argv[1]?.endsWith("evals/train-reranker.ts")) await runMain(trainRerankerMain);
