import { Command, Option } from "commander";
import { ingest } from "../corpus/ingest.js";
import { parseSourceSpec, sourcesFromConfig, type SourceSpec } from "../corpus/select-source.js";
import { loadConfig } from "../tools/config.js";
import { runMain, writeLine, type CliIo } from "./io.js";

/** Sources named on the command line: `--source` may repeat; `--path` goes to an XML source without one. */
function cliSources(names: string[], path: string | undefined, audience: string | undefined): SourceSpec[] {
  return names.map((name) => {
    const withPath = path && !name.includes("=") && /xml|zip/i.test(name) ? `${name}=${path}` : name;
    const withAudience = audience && /^(vdd-)?npm$/i.test(withPath) ? `${withPath}:${audience}` : withPath;
    return parseSourceSpec(withAudience);
  });
}

/** `npm run ingest`: builds or updates the knowledge base index (nothing re-processed when up to date). */
export async function ingestMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("ingest")
    .description("Build or update the search index from the fiches")
    .addOption(
      new Option("--source <spec...>", "source(s): vdd-npm[:audience], vdd-xml or vdd-zip (aliases vosdroits-xml, vosdroits-zip) with --path, travail"),
    )
    .option("--path <folder>", "folder of XML fiches, for an XML source")
    .addOption(new Option("--audience <name>", "audience of vdd-npm").choices(["particuliers", "professionnels", "associations"]))
    .option("--index-dir <dir>", "where the index is written")
    .option("--force", "re-read every fiche even if the sources look unchanged", false)
    .option("--full", "rebuild from scratch, ignoring the previous index", false)
    .option("--dense", "also learn the offline dense model (default when GUICHET_RETRIEVAL is hybrid or dense)")
    .option("--no-progress", "no progress bar")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{
    source?: string[];
    path?: string;
    audience?: string;
    indexDir?: string;
    force: boolean;
    full: boolean;
    progress: boolean;
    dense?: boolean;
  }>();
  const config = loadConfig({ ...io.env, ...(opts.indexDir ? { GUICHET_INDEX_DIR: opts.indexDir } : {}) });
  const specs = opts.source ? cliSources(opts.source, opts.path, opts.audience) : config.sources;
  const outcome = await ingest(sourcesFromConfig(specs), {
    indexDir: config.indexDir,
    force: opts.force,
    full: opts.full,
    dense: opts.dense ?? config.retrieval.mode !== "bm25",
    progress: opts.progress,
    freedictDir: config.freedictDir,
    log: (message) => void writeLine(io.stderr, message),
  });
  if (!outcome.result) await writeLine(io.stderr, "nothing to do: re-processed 0 fiches");
  return 0;
}

if (process.argv[1]?.endsWith("cli/ingest.ts")) await runMain(ingestMain);
