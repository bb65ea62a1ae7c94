import { Command, Option } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { calibrate, loadCalibration, type CalibrationResult } from "./claims/calibration.js";
import { CHECKER_KINDS, createChecker, type CheckerKind } from "./claims/checkers.js";
import { LlmClaimChecker } from "./claims/llm-checker.js";
import { alignedTable } from "./metrics.js";

export const CALIBRATION_FILE = "evals/datasets/judge-calibration.jsonl";

/** The calibration table: accuracy and Cohen's kappa of each checker against the hand labels, per split. */
export function formatCalibration(results: CalibrationResult[]): string {
  const header = ["checker", "split", "n", "entailed", "accuracy", "kappa", "acc|entailed", "acc|not"];
  const rows = results.flatMap((r) =>
    Object.entries({ all: r.all, ...r.by_split }).map(([split, a]) => [r.checker, split, String(a.n), String(a.entailed), a.accuracy.toFixed(3), a.kappa.toFixed(3), a.recall_entailed.toFixed(3), a.recall_not_entailed.toFixed(3)]),
  );
  const kinds = [...new Set(results.flatMap((r) => Object.keys(r.by_kind)))].sort();
  const kindRows = kinds.map((kind) => [kind, String(results[0]!.by_kind[kind]?.n ?? 0), ...results.map((r) => r.by_kind[kind]?.accuracy.toFixed(3) ?? "–")]);
  return [
    ...alignedTable(header, rows, 2),
    "",
    "accuracy by kind of pair:",
    ...alignedTable(["kind", "n", ...results.map((r) => r.checker)], kindRows, 1),
  ].join("\n");
}

/** `npm run eval:calibrate -- [--checker offline|llm|auto|both] [--split dev|test] [--json]`. */
export async function calibrationMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval:calibrate")
    .description("Agreement of the claim checkers with the hand-labelled (claim, passage) pairs")
    .option("--pairs <file>", "JSON lines {id, split, chunk, passage, claim, entailed, kind}", CALIBRATION_FILE)
    .addOption(new Option("--checker <kind>", "which checker to calibrate (both: offline and the LLM judge)").choices([...CHECKER_KINDS, "both"]).default("both"))
    .option("--split <name>", "only the pairs of this split")
    .option("--json", "print JSON", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ pairs: string; checker: CheckerKind | "both"; split?: string; json: boolean }>();
  const pairs = loadCalibration(opts.pairs).filter((p) => !opts.split || p.split === opts.split);
  if (pairs.length === 0) throw new Error(`${opts.pairs}: no pairs${opts.split ? ` in split ${opts.split}` : ""}`);
  const kinds: CheckerKind[] = opts.checker === "both" ? ["offline", "auto"] : [opts.checker];
  const results: CalibrationResult[] = [];
  for (const kind of kinds) {
    const checker = createChecker(kind, io.env);
    if (opts.checker === "both" && kind === "auto" && !(checker instanceof LlmClaimChecker)) {
      await writeLine(io.stderr, "no LLM judge configured (GUICHET_JUDGE_API_KEY or OPENAI_API_KEY): the offline checker only");
      continue;
    }
    const result = await calibrate(checker, pairs);
    results.push(checker instanceof LlmClaimChecker ? { ...result, usage: checker.usage().total, invalid_replies: checker.invalidReplies } : result);
  }
  await writeLine(io.stdout, opts.json ? JSON.stringify(results) : formatCalibration(results));
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-calibration.ts")) await runMain(calibrationMain);
