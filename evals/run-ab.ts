import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession } from "../cli/session.js";
import { loadExperiment } from "../tools/experiments/experiment.js";
import { prepareVariant } from "../tools/experiments/variant-capabilities.js";
import { compareRuns, variantSession, type MetricComparison } from "./ab.js";
import { OfflineClaimChecker } from "./claims/offline-checker.js";
import { loadReferences } from "./claims/references.js";
import { LOWER_IS_BETTER } from "./claims/score.js";
import { loadDataset } from "./dataset.js";
import { evaluateSplit } from "./eval-split.js";
import { alignedTable } from "./metrics.js";
import { REFERENCES_FILE } from "./run-eval.js";

export const EXPERIMENT_FILE = "experiments/variants.json";

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;

export function formatComparison(a: string, b: string, rows: MetricComparison[]): string {
  const table = alignedTable(
    ["metric", "n", a, b, "B−A", "95 % CI", "p", "effect"],
    rows.map((r) => [
      r.metric,
      String(r.n),
      r.meanA.toFixed(3),
      r.meanB.toFixed(3),
      signed(r.difference.mean),
      `[${signed(r.difference.low)}, ${signed(r.difference.high)}]`,
      r.p < 0.001 ? "<0.001" : r.p.toFixed(3),
      r.effectSize === null ? "-" : r.effectSize.toFixed(2),
    ]),
    1,
  );
  const lower = rows.filter((r) => LOWER_IS_BETTER.has(r.metric.replace(/^claims\./, ""))).map((r) => r.metric);
  return [
    ...table,
    `paired bootstrap over the questions both variants define a metric for; p: two-sided, no difference; effect: mean difference / sd of the differences (d_z)${lower.length ? `; lower is better for ${lower.join(", ")}` : ""}`,
  ].join("\n");
}

/** `npm run ab -- A B --dataset FILE [--experiment FILE]`: two variants on the same questions, paired. */
export async function abMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("ab")
    .description("Compare two variants of an experiment on the same questions (paired bootstrap)")
    .argument("<a>", "the reference variant")
    .argument("<b>", "the variant compared with it")
    .option("--dataset <file>", "JSON-lines dataset", "evals/datasets/dev.jsonl")
    .option("--experiment <file>", "the variants", EXPERIMENT_FILE)
    .option("--references <file>", "reference answers", REFERENCES_FILE)
    .option("--json", "print JSON", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const [a, b] = program.args as [string, string];
  const opts = program.opts<{ dataset: string; experiment: string; references: string; json: boolean }>();
  const experiment = loadExperiment(opts.experiment);
  for (const name of [a, b]) {
    if (!experiment.variants[name]) throw new Error(`${opts.experiment}: no variant "${name}" (there are: ${Object.keys(experiment.variants).join(", ")})`);
  }
  const items = loadDataset(opts.dataset);
  const references = loadReferences(opts.references);
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message), io.stderr === process.stderr);
  const checker = new OfflineClaimChecker();
  const runs = [];
  for (const name of [a, b]) {
    const variant = prepareVariant(name, experiment.variants[name]!.config, session.capabilities);
    runs.push(await evaluateSplit(variantSession(session, variant), opts.dataset, items, references, checker));
  }
  const rows = compareRuns(runs[0]!, runs[1]!);
  await writeLine(io.stdout, opts.json ? JSON.stringify({ a, b, dataset: opts.dataset, metrics: rows }) : `${a} against ${b} on ${opts.dataset} (${items.length} questions)\n\n${formatComparison(a, b, rows)}`);
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-ab.ts")) await runMain(abMain);
