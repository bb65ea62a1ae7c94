import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import type { Session } from "../cli/session.js";
import { OfflineClaimChecker } from "./claims/offline-checker.js";
import { loadReferences } from "./claims/references.js";
import { loadDataset } from "./dataset.js";
import { evaluateSplit, type SplitRun } from "./eval-split.js";
import { BASELINE_FILE, compareToBaseline, gateMessage, readBaseline, type Baseline, type GateLine } from "./gate.js";
import { GATE_DATASETS, openGateSession } from "./gate-env.js";
import { alignedTable } from "./metrics.js";
import { REFERENCES_FILE } from "./run-eval.js";

/** Evaluates the gate's splits with the offline checker and holds them to the baseline. */
export async function runGate(session: Session, datasets: string[], referencesFile: string, baseline: Baseline): Promise<{ lines: GateLine[]; message: string }> {
  const references = loadReferences(referencesFile);
  const checker = new OfflineClaimChecker();
  const runs: SplitRun[] = [];
  for (const dataset of datasets) runs.push(await evaluateSplit(session, dataset, loadDataset(dataset), references, checker));
  const lines = compareToBaseline(runs, baseline);
  return { lines, message: gateMessage(lines) };
}

export function formatGate(lines: GateLine[]): string {
  const rows = lines.map((l) => [l.split, l.metric, l.baseline.toFixed(4), l.current === null ? "-" : l.current.toFixed(4), l.tolerance.toFixed(4), l.ok ? "ok" : "FAIL"]);
  return alignedTable(["split", "metric", "baseline", "now", "tolerance", ""], rows, 2).join("\n");
}

/** `npm run eval:gate`: exit 1, naming the metrics, when a figure dropped beyond its tolerance of the committed baseline. */
export async function gateMain(argv: string[], io: CliIo, open: (io: CliIo) => Promise<Session> = openGateSession): Promise<number> {
  const program = new Command("eval:gate")
    .description("Fail when an eval metric drops beyond its bootstrap tolerance of the committed baseline")
    .option("--baseline <file>", "the baseline", BASELINE_FILE)
    .option("--references <file>", "reference answers", REFERENCES_FILE)
    .option("--dataset <file...>", "the splits to gate", GATE_DATASETS)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ baseline: string; references: string; dataset: string[] }>();
  const baseline = readBaseline(opts.baseline);
  const session = await open(io);
  const { lines, message } = await runGate(session, opts.dataset, opts.references, baseline);
  await writeLine(io.stdout, `${formatGate(lines)}\n\n${message}`);
  return lines.every((l) => l.ok) ? 0 : 1;
}

if (process.argv[1]?.endsWith("evals/run-gate.ts")) await runMain(gateMain);
