import { Command, Option } from "commander";
import { ingest } from "../corpus/ingest.js";
import { sourceFromConfig } from "../corpus/select-source.js";
import { loadConfig } from "../tools/config.js";
import { runMain, writeLine, type CliIo } from "./io.js";

/** `npm run ingest`: builds the knowledge base index (skipped when already up to date). */
export async function ingestMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("ingest")
    .description("Build the search index from the service-public.fr fiches")
    .addOption(new Option("--source <kind>", "fiche source").choices(["vdd-npm", "vdd-xml"]))
    .option("--path <folder>", "folder of XML fiches (with --source vdd-xml)")
    .option("--index-dir <dir>", "where the index is written")
    .option("--force", "rebuild even when the index is up to date", false)
    .option("--no-progress", "no progress bar")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ source?: "vdd-npm" | "vdd-xml"; path?: string; indexDir?: string; force: boolean; progress: boolean }>();
  const config = loadConfig({
    ...io.env,
    ...(opts.source ? { GUICHET_SOURCE: opts.source } : {}),
    ...(opts.path ? { GUICHET_SOURCE_PATH: opts.path } : {}),
    ...(opts.indexDir ? { GUICHET_INDEX_DIR: opts.indexDir } : {}),
  });
  const outcome = ingest(sourceFromConfig(config.source), {
    indexDir: config.indexDir,
    force: opts.force,
    progress: opts.progress,
    log: (message) => void writeLine(io.stderr, message),
  });
  if (!outcome.built) await writeLine(io.stderr, "nothing to do: re-processed 0 fiches");
  return 0;
}

if (process.argv[1]?.endsWith("cli/ingest.ts")) await runMain(ingestMain);
