import { Command } from "commander";
import type { AskResponse } from "../graphs/run.js";
import { readLines, runMain, writeLine, type CliIo } from "./io.js";
import { openSession } from "./session.js";

/** Human-readable answer: the text, its numbered sources, and the data's date and licence. */
export function formatAnswer(response: AskResponse): string {
  const lines = [response.answer, ""];
  if (response.citations.length > 0) {
    lines.push("Sources :");
    for (const c of response.citations) lines.push(`  [${c.n}] ${c.title} (${c.id}, mise à jour ${c.date})`, `      ${c.url}`);
    lines.push("");
  }
  if (response.actions.length > 0) {
    lines.push("Démarches :");
    for (const a of response.actions) lines.push(`  - ${a.title} : ${a.url}`);
    lines.push("");
  }
  lines.push(`Données : ${response.sources.name}, état au ${response.sources.snapshot_date}. ${response.sources.licence}.`);
  return lines.join("\n");
}

/** `npm run ask -- "question"`: answers one question (or one per line with --stdin). */
export async function askMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("ask")
    .description("Answer a question from the service-public.fr fiches")
    .argument("[question...]", "the question")
    .option("--json", "print the same JSON as POST /invoke", false)
    .option("--stdin", "read one question per line on standard input; print one JSON line each", false)
    .option("--language <code>", "language of the reply")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ json: boolean; stdin: boolean; language?: string }>();
  const question = program.args.join(" ").trim();
  if (!opts.stdin && question === "") {
    await writeLine(io.stderr, 'usage: npm run ask -- [--json] "question"  (or --stdin)');
    return 2;
  }
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message), io.stderr === process.stderr);
  if (opts.stdin) {
    for await (const line of readLines(io.stdin)) {
      await writeLine(io.stdout, JSON.stringify(await session.ask(line, opts.language)));
    }
    return 0;
  }
  const response = await session.ask(question, opts.language);
  await writeLine(io.stdout, opts.json ? JSON.stringify(response, null, 2) : formatAnswer(response));
  return 0;
}

if (process.argv[1]?.endsWith("cli/ask.ts")) await runMain(askMain);
