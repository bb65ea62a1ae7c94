import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { formatSummary, runSteps, type NightlyStep } from "./nightly/runner.js";
import { nightlySteps, type NightlySettings } from "./nightly/steps.js";

/** Where the run writes, where the history lives and the index it builds; the workflow uploads and caches these paths. */
export const NIGHTLY_DEFAULTS = { out: "reports/nightly", history: "reports/eval-history.json", indexDir: "data/index-nightly" };

/**
 * `npm run eval:nightly -- [--out DIR] [--history FILE] [--skip STEP…]`: what the nightly workflow runs
 * (.github/workflows/nightly-evals.yml), in its order, stopping at the first failure; exit 1 when a step failed.
 * GUICHET_NIGHTLY_INDEX_DIR moves the index (not GUICHET_INDEX_DIR, which names the developer's own index).
 */
export async function nightlyMain(argv: string[], io: CliIo, makeSteps: (settings: NightlySettings) => NightlyStep[] = nightlySteps): Promise<number> {
  const program = new Command("eval:nightly")
    .description("Run the nightly evals: full index, quality evals with the report, calibration, guard, language and cache evals, gate")
    .option("--out <dir>", "folder of each step's output, the report and summary.json", NIGHTLY_DEFAULTS.out)
    .option("--history <file>", "past runs' figures, for the report's trend (appended to)", NIGHTLY_DEFAULTS.history)
    .option("--skip <step...>", "steps not to run", [])
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ out: string; history: string; skip: string[] }>();
  const steps = makeSteps({ out: opts.out, history: opts.history, indexDir: io.env.GUICHET_NIGHTLY_INDEX_DIR || NIGHTLY_DEFAULTS.indexDir });
  const names = steps.map((s) => s.name);
  const unknown = opts.skip.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`--skip: no step named ${unknown.join(", ")}; the steps are ${names.join(", ")}`);
  const results = await runSteps(steps, { out: opts.out, io, skip: opts.skip });
  const ok = results.every((r) => r.status !== "failed");
  writeFileSync(join(opts.out, "summary.json"), `${JSON.stringify({ date: new Date().toISOString(), ok, steps: results }, null, 2)}\n`);
  await writeLine(io.stdout, `\n${formatSummary(results)}`);
  return ok ? 0 : 1;
}

if (process.argv[1]?.endsWith("evals/run-nightly.ts")) await runMain(nightlyMain);
