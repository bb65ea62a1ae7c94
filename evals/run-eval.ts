import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession } from "../cli/session.js";
import { classifyQuestion } from "../tools/answer/question-class.js";
import { loadDataset } from "./dataset.js";
import { RETRIEVAL_MODES } from "../tools/search/retriever.js";
import { buildReport, computeMetrics, formatReport, groupBy, type QuestionOutcome, type Report } from "./metrics.js";

/** `npm run eval -- --dataset FILE [--json]`: retrieval and answer quality on a JSON-lines dataset. */
export async function evalMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval")
    .description("Evaluate retrieval and answers on a JSON-lines dataset")
    .requiredOption("--dataset <file>", "JSON lines {id, question, gold, facts?, style?, lang?}")
    .option("--json", "print one JSON object", false)
    .option("--ablation", "also rank with BM25 alone, dense alone, hybrid, and with the re-ranking stage", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dataset: string; json: boolean; ablation: boolean }>();
  const items = loadDataset(opts.dataset);
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message), io.stderr === process.stderr);
  const outcomes: QuestionOutcome[] = [];
  for (const item of items) {
    const response = await session.ask(item.question);
    outcomes.push({
      gold: item.gold,
      ranking: await session.capabilities.search.rankFichesAsync(item.question, 10),
      answer: response.answer,
      answered: response.found,
      ...(item.facts ? { facts: item.facts } : {}),
      style: item.style ?? "unspecified",
      lang: item.lang ?? "fr",
      ...(item.audience ? { audience: item.audience } : {}),
      ...(response.citations[0] ? { firstCitation: response.citations[0].id } : {}),
      ...(item.class ? { questionClass: item.class, predictedClass: classifyQuestion(item.question).questionClass } : {}),
      ...(item.topic ? { topic: item.topic } : {}),
    });
  }
  const report: Report = buildReport(outcomes);
  if (opts.ablation) {
    report.ablation = {};
    const search = session.capabilities.search;
    const variants = [
      ...RETRIEVAL_MODES.map((mode) => ({ name: mode, mode, rerank: false })),
      ...(search.reranker ? (["bm25", "hybrid"] as const).map((mode) => ({ name: `${mode}+rerank`, mode, rerank: true })) : []),
    ];
    for (const { name, mode, rerank } of variants) {
      const ranked: QuestionOutcome[] = [];
      for (const [i, item] of items.entries()) {
        ranked.push({ ...outcomes[i]!, ranking: await search.rankFichesAsync(item.question, 10, mode, rerank) });
      }
      report.ablation[name] = { all: computeMetrics(ranked), style: groupBy(ranked, (o) => o.style) };
    }
  }
  await writeLine(io.stdout, opts.json ? JSON.stringify(report) : `${opts.dataset}\n\n${formatReport(report)}`);
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-eval.ts")) await runMain(evalMain);
