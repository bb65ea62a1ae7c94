import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { THRESHOLD } from "../tools/guard/injection.js";
import { buildGuardReport, formatGuardReport, loadGuardDataset, runGuard } from "./guard-metrics.js";

const SWEEP = [0.5, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.5];

/** `npm run eval:guard`: the input guard on the dev and test splits (and a threshold sweep on dev only). */
export async function guardEvalMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval:guard")
    .description("Evaluate the input guard on the guard dataset's dev and test splits")
    .option("--dev <file>", "dev split", "evals/datasets/guard-dev.jsonl")
    .option("--test <file>", "test split", "evals/datasets/guard-test.jsonl")
    .option("--json", "print one JSON object", false)
    .option("--misses", "list the items the guard got wrong", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dev: string; test: string; json: boolean; misses: boolean }>();
  const dev = loadGuardDataset(opts.dev);
  const test = loadGuardDataset(opts.test);
  const sweep = SWEEP.map((threshold) => {
    const r = buildGuardReport(runGuard(dev, threshold));
    return { threshold, attacks: r.attacksBlocked, legit: r.legitBlocked };
  });
  const reports = { dev: buildGuardReport(runGuard(dev)), test: buildGuardReport(runGuard(test)) };
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
    formatGuardReport(`dev — ${opts.dev}`, reports.dev),
    "",
    formatGuardReport(`test — ${opts.test}`, reports.test),
  ];
  if (opts.misses) {
    for (const [name, r] of Object.entries(reports)) {
      out.push("", `misses (${name}):`, ...r.misses.map((m) => `  ${m.id} ${m.kind}/${m.technique} → ${m.reason ?? "passed"} ${m.redacted.join(",")}`));
    }
  }
  await writeLine(io.stdout, out.join("\n"));
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-guard-eval.ts")) await runMain(guardEvalMain);
