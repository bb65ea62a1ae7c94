import { Command, InvalidArgumentError } from "commander";
import { groupUsage, DIMENSIONS, type Dimension } from "../tools/finops/cost-groups.js";
import { formatCostTable } from "../tools/finops/cost-table.js";
import { parseSince } from "../tools/finops/cost-window.js";
import { DEFAULT_USAGE_LOG_DIR } from "../tools/finops/usage-log-config.js";
import { readUsage } from "../tools/finops/usage-reader.js";
import { runMain, writeLine, type CliIo } from "./io.js";

export const CURRENCY_NOTE = "cost in the price table's currency (GUICHET_LLM_PRICES, USD by default)";

function dimensions(value: string): Dimension[] {
  const names = value.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (names.length === 0) throw new InvalidArgumentError(`needs at least one of ${DIMENSIONS.join(", ")}`);
  const unknown = names.filter((name) => !(DIMENSIONS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown dimension ${unknown.map((n) => `"${n}"`).join(", ")}; use ${DIMENSIONS.join(", ")}`);
  return [...new Set(names as Dimension[])];
}

/**
 * `npm run cost -- [--since 7d] [--by key,model,day] [--json] [--dir data/usage]`: what the LLM calls of a window
 * cost, per group, from the usage log.
 */
export async function costMain(argv: string[], io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  const until = now();
  const program = new Command("cost")
    .description("Report LLM usage and cost from the usage log")
    .option("--since <when>", "start of the window: 30m, 12h, 7d, 2w or an ISO date", (value: string) => {
      try {
        return parseSince(value, until);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    })
    .option("--by <dimensions>", `comma-separated groups among ${DIMENSIONS.join(", ")}`, dimensions, ["key", "model"] as Dimension[])
    .option("--json", "print the report as JSON", false)
    .option("--dir <dir>", "the usage log directory (default: GUICHET_USAGE_LOG_DIR, else data/usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const opts = program.opts<{ since?: Date; by: Dimension[]; json: boolean; dir?: string }>();
  const since = opts.since ?? parseSince("1d", until);
  const dir = opts.dir ?? (io.env.GUICHET_USAGE_LOG_DIR || DEFAULT_USAGE_LOG_DIR);
  if (dir === "off") {
    await writeLine(io.stderr, "the usage log is off (GUICHET_USAGE_LOG_DIR=off); give its directory with --dir");
    return 2;
  }
  const { entries, skipped } = await readUsage(dir, { since, until });
  const groups = groupUsage(entries, opts.by);
  if (opts.json) {
    const report = { since: since.toISOString(), until: until.toISOString(), by: opts.by, rows: groups.rows, total: groups.total, skipped };
    await writeLine(io.stdout, JSON.stringify(report));
    return 0;
  }
  const skippedNote = skipped > 0 ? ` (${skipped} unreadable line${skipped === 1 ? "" : "s"} skipped)` : "";
  if (entries.length === 0) {
    await writeLine(io.stdout, `no usage recorded since ${since.toISOString()} in ${dir}${skippedNote}`);
    return 0;
  }
  await writeLine(io.stdout, `Usage from ${since.toISOString()} to ${until.toISOString()} in ${dir}; ${CURRENCY_NOTE}${skippedNote}`);
  for (const line of formatCostTable(groups, opts.by)) await writeLine(io.stdout, line);
  return 0;
}

if (process.argv[1]?.endsWith("cli/cost.ts")) await runMain(costMain);
