import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { GUARD_CLASSES, GUARD_MODEL_FILE, guardFeatures, type GuardClass, type GuardModel } from "../tools/guard/classifier.js";
import { inspectQuestion } from "../tools/guard/inspect.js";
import { normalizeText } from "../tools/guard/normalize.js";
import { fitSparseLogistic, predictSparse, topFeatures, type SparseExample, type SparseLogisticModel } from "../tools/learn/sparse-logistic.js";
import { loadGuardDataset, type GuardItem } from "./guard-metrics.js";

/** The class an item teaches the classifier. */
export function guardLabel(item: GuardItem): GuardClass {
  if (item.kind === "distress" || item.distress) return "distress";
  if (!item.expect_blocked) return "none";
  if (item.kind === "fraud" || item.expect_reason === "fraud" || item.technique === "forgery") return "fraud";
  if (item.kind === "harm" || item.kind === "abuse") return "harm";
  if (item.kind === "attack") return "injection";
  return "none";
}

const BLOCKING = ["injection", "harm", "fraud"] as const;
const GRID = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99];

/**
 * `npm run train:guard`: learns the guard's classifier (one-vs-rest logistic regression over word pairs and
 * character 4-grams of the folded question) on the guard dev split and its added variants. The L2 penalty and each
 * class's threshold are chosen on out-of-fold predictions: the lowest threshold at which, together with the rules,
 * at most `--max-fp` of the legitimate dev questions are refused. Prints the cross-validated table and the heaviest
 * features of each class; refuses a file named like the test split.
 */
export async function trainGuardMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("train:guard")
    .description("Learn the guard classifier on the guard dev split")
    .option("--dataset <files>", "comma-separated dev files", "evals/datasets/guard-dev.jsonl,evals/datasets/guard-dev-add.jsonl")
    .option("--folds <n>", "cross-validation folds", (v) => Number(v), 5)
    .option("--max-fp <share>", "largest share of legitimate dev questions the classifier may refuse", (v) => Number(v), 0.01)
    .option("--no-write", "print the tables without writing the model")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dataset: string; folds: number; maxFp: number; write: boolean }>();
  const files = opts.dataset.split(",");
  if (files.some((f) => /test/i.test(basename(f)))) throw new Error(`${opts.dataset}: refusing to train on the test split`);
  const items = files.flatMap((f) => loadGuardDataset(f));
  const examples: SparseExample[] = items.map((item) => ({ features: guardFeatures(normalizeText(item.text).views), label: guardLabel(item) }));
  // What the rules alone decide, so that thresholds are chosen for the combination actually run.
  const rules = items.map((item) => inspectQuestion(item.text, { maxLength: 500, model: null }).reason);
  const legit = items.map((item) => !item.expect_blocked);
  const out: string[] = [`${files.join(" + ")}: ${items.length} items; ${opts.folds}-fold cross-validation`];

  let best: { lambda: number; thresholds: Record<string, number>; recall: number } | undefined;
  for (const lambda of [0.00003, 0.0001, 0.0003]) {
    const oof: Array<Record<string, number>> = new Array(items.length);
    for (let fold = 0; fold < opts.folds; fold++) {
      const model = fitSparseLogistic(examples.filter((_, i) => i % opts.folds !== fold), { lambda, epochs: 300, balanced: true });
      examples.forEach((e, i) => {
        if (i % opts.folds === fold) oof[i] = predictSparse(model, e.features);
      });
    }
    const thresholds = chooseThresholds(oof, rules, legit, opts.maxFp);
    const { recall, rows } = crossTable(items, oof, rules, thresholds);
    out.push("", `λ=${lambda}: thresholds ${Object.entries(thresholds).map(([c, t]) => `${c} ${t}`).join(", ")}`, ...rows);
    if (!best || recall > best.recall) best = { lambda, thresholds, recall };
  }
  const model = fitSparseLogistic(examples, { lambda: best!.lambda, epochs: 300, balanced: true });
  out.push("", `chosen λ=${best!.lambda}`);
  for (const cls of model.classes) out.push(`  top features ${cls}: ${topFeatures(model, cls, 8).map(([f, w]) => `${f} ${w.toFixed(2)}`).join(" · ")}`);
  await writeLine(io.stdout, out.join("\n"));
  if (opts.write) {
    const file: GuardModel = {
      classes: model.classes.filter((c): c is GuardClass => (GUARD_CLASSES as readonly string[]).includes(c)),
      byClass: pruned(model),
      thresholds: best!.thresholds,
      trainedOn: `${files.join(" + ")} (${items.length} items)`,
      lambda: best!.lambda,
    };
    writeFileSync(GUARD_MODEL_FILE, `${JSON.stringify(file)}\n`);
    await writeLine(io.stderr, `model written to ${GUARD_MODEL_FILE}`);
  }
  return 0;
}

/** Weights too small to change a decision are left out of the file. */
function pruned(model: SparseLogisticModel): SparseLogisticModel["byClass"] {
  return Object.fromEntries(
    Object.entries(model.byClass).map(([cls, { bias, weights }]) => [
      cls,
      { bias, weights: Object.fromEntries(Object.entries(weights).filter(([, w]) => Math.abs(w) >= 0.005).map(([f, w]) => [f, Math.round(w * 1000) / 1000])) },
    ]),
  );
}

/** The verdict of rules + classifier on one item (the classifier only speaks when the rules let it through). */
function decide(probabilities: Record<string, number>, rule: string | null, thresholds: Record<string, number>): string | null {
  if (rule) return rule;
  const ranked = Object.entries(probabilities).filter(([c]) => c !== "none").sort((a, b) => b[1] - a[1]);
  const [label, p] = ranked[0] ?? ["none", 0];
  if (label === "distress") return null;
  return p >= (thresholds[label] ?? 1) ? label : null;
}

function chooseThresholds(oof: Array<Record<string, number>>, rules: Array<string | null>, legit: boolean[], maxFp: number): Record<string, number> {
  const thresholds: Record<string, number> = { injection: 1, harm: 1, fraud: 1, distress: 0.5 };
  const nLegit = legit.filter(Boolean).length;
  // Greedy, one class at a time: the lowest threshold that keeps the legitimate refusals within budget.
  for (const cls of BLOCKING) {
    for (const t of GRID) {
      const trial = { ...thresholds, [cls]: t };
      const fp = oof.filter((p, i) => legit[i] && !rules[i] && decide(p, null, trial) !== null).length;
      if (fp <= maxFp * nLegit) {
        thresholds[cls] = t;
        break;
      }
    }
  }
  return thresholds;
}

function crossTable(items: GuardItem[], oof: Array<Record<string, number>>, rules: Array<string | null>, thresholds: Record<string, number>) {
  const kinds = [...new Set(items.map((i) => i.kind))].sort();
  const rows = ["| kind | n | rules alone blocked | rules + classifier blocked (cv) |", "|---|---|---|---|"];
  let hit = 0;
  let total = 0;
  for (const kind of kinds) {
    const idx = items.map((item, i) => (item.kind === kind ? i : -1)).filter((i) => i >= 0);
    const byRules = idx.filter((i) => rules[i] !== null).length;
    const both = idx.filter((i) => decide(oof[i]!, rules[i]!, thresholds) !== null).length;
    rows.push(`| ${kind} | ${idx.length} | ${byRules} | ${both} |`);
    if (["attack", "harm", "fraud", "abuse"].includes(kind)) {
      hit += both;
      total += idx.length;
    }
  }
  return { recall: total ? hit / total : 0, rows };
}

if (process.argv[1]?.endsWith("evals/train-guard.ts")) await runMain(trainGuardMain);
