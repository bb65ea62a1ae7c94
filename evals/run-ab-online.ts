import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { loadConfig } from "../tools/config.js";
import { openFeedbackStore } from "../tools/feedback/store.js";
import { createLogger } from "../tools/logger.js";
import { formatOnlineReport, onlineReport } from "./online-ab.js";

/** `npm run ab:online -- [--reference control] [--json]`: latency and ratings per variant, from the run log. */
export async function abOnlineMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("ab:online")
    .description("Latency and user ratings per experiment variant, from the run log of POST /feedback")
    .option("--reference <variant>", "the variant the others are compared with (default: control, else the first)")
    .option("--json", "print JSON", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ reference?: string; json: boolean }>();
  const config = loadConfig(io.env);
  const store = await openFeedbackStore(config.feedback, createLogger("warn"), { sweepEveryMs: 0 });
  if (!store) throw new Error("GUICHET_FEEDBACK=off: there is no run log to read");
  try {
    const rows = onlineReport(await store.runOutcomes(), opts.reference);
    await writeLine(io.stdout, opts.json ? JSON.stringify(rows) : formatOnlineReport(rows));
  } finally {
    await store.close();
  }
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-ab-online.ts")) await runMain(abOnlineMain);
