import { Command, InvalidArgumentError } from "commander";
import type { SearchHit } from "../tools/search/search-index.js";
import { readLines, runMain, writeLine, type CliIo } from "./io.js";
import { openSession } from "./session.js";

export interface SearchResult {
  id: string;
  chunk: string;
  score: number;
  title: string;
  url: string;
}

export function toSearchResults(hits: SearchHit[]): SearchResult[] {
  return hits.map((hit) => ({
    id: hit.chunk.ficheId,
    chunk: hit.chunk.id,
    score: Math.round(hit.score * 1e4) / 1e4,
    title: hit.chunk.title,
    url: hit.chunk.url,
  }));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError("must be an integer from 1 to 100");
  return n;
}

/** `npm run search -- [--json] [--k 10] "question"`: the ranked passages. */
export async function searchMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("search")
    .description("Rank the fiche passages for a question")
    .argument("[question...]", "the question")
    .option("--json", "print JSON", false)
    .option("--k <n>", "number of results", positiveInt, 10)
    .option("--stdin", "read one question per line on standard input; print one JSON line each", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ json: boolean; k: number; stdin: boolean }>();
  const question = program.args.join(" ").trim();
  if (!opts.stdin && question === "") {
    await writeLine(io.stderr, 'usage: npm run search -- [--json] [--k 10] "question"  (or --stdin)');
    return 2;
  }
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message), io.stderr === process.stderr);
  const run = async (q: string) =>
    toSearchResults(await session.capabilities.search.searchAsync(q, { k: opts.k, maxPerFiche: session.config.maxPerFiche }));
  if (opts.stdin) {
    for await (const line of readLines(io.stdin)) await writeLine(io.stdout, JSON.stringify(await run(line)));
    return 0;
  }
  const results = await run(question);
  if (opts.json) {
    await writeLine(io.stdout, JSON.stringify(results, null, 2));
  } else {
    for (const [i, r] of results.entries()) {
      await writeLine(io.stdout, `${String(i + 1).padStart(2)}. ${r.score.toFixed(2)}  ${r.id}  ${r.title}  (${r.chunk})`);
    }
  }
  return 0;
}

if (process.argv[1]?.endsWith("cli/search.ts")) await runMain(searchMain);
