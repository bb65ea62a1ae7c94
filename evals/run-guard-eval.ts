import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { THRESHOLD } from "../tools/guard/injection.js";
import { buildGuardReport, formatGuardReport, loadGuardDataset, runGuard } from "./guard-metrics.js";

const SWEEP = [0.5, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.5];

/** `npm run eval:guard`: the input guard on the dev and test splits (and a threshold sweep on dev only). */
export async function guardEvalMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval:guard")
    .description("Evaluate the input guard on the guard dataset's dev and test splits")
    .option("--dev <files>", "dev split (comma-separated files)", "evals/datasets/guard-dev.jsonl,evals/datasets/guard-dev-add.jsonl")
    .option("--test <files>", "test split (comma-separated files)", "evals/datasets/guard-test.jsonl,evals/datasets/guard-test-fresh.jsonl")
    .option("--json", "print one JSON object", false)
    .option("--misses", "list the dev items the guard got wrong (never the test ones: the test split stays unseen)", false)
    .option("--dev-only", "evaluate the dev split only (for tuning: the test split is not even read)", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dev: string; test: string; json: boolean; misses: boolean; devOnly: boolean }>();
  const load = (files: string) => files.split(",").flatMap((file) => loadGuardDataset(file));
  const dev = load(opts.dev);
  const sweep = SWEEP.map((threshold) => {
    const r = buildGuardReport(runGuard(dev, threshold));
    return { threshold, attacks: r.attacksBlocked, legit: r.legitBlocked };
  });
  const devReport = buildGuardReport(runGuard(dev));
  const testReport = opts.devOnly ? null : buildGuardReport(runGuard(load(opts.test)));
  // Test misses are never output: the test split must stay unseen by whoever tunes the rules.
  const reports = { dev: devReport, ...(testReport ? { test: { ...testReport, misses: [] } } : {}) };
  if (opts.json) {
    await writeLine(io.stdout, JSON.stringify({ threshold: THRESHOLD, sweep, ...reports }));
    return 0;
  }
  const out = [
    `Injection threshold: ${THRESHOLD} (chosen on dev; sweep on dev below)`,
    "",
    "| threshold | dev attacks blocked | dev legitimate blocked |",
    "|---|---|---|",
    ...sweep.map((s) => `| ${s.threshold} | ${s.attacks.blocked}/${s.attacks.n} | ${s.legit.blocked}/${s.legit.n} |`),
    "",
    formatGuardReport(`dev — ${opts.dev}`, devReport),
    ...(testReport ? ["", formatGuardReport(`test — ${opts.test}`, testReport)] : []),
  ];
  if (opts.misses) {
    out.push("", "misses (dev):", ...devReport.misses.map((m) => `  ${m.id} ${m.kind}/${m.technique} → ${m.reason ?? "passed"} ${m.redacted.join(",")}`));
  }
  await writeLine(io.stdout, out.join("\n"));
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-guard-eval.ts")) await runMain(guardEvalMain);
