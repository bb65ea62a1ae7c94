import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession } from "../cli/session.js";
import { candidateDetectors } from "./lang-detectors.js";
import { crossLingualRecall, detectionAccuracy, formatAccuracy, formatRecall, loadLangDataset, type RecallRow } from "./lang-eval.js";

/**
 * `npm run eval:lang`: accuracy of each candidate language detector per language on the dev and test splits,
 * then (unless --no-retrieval) retrieval recall@10 of foreign questions, raw and translated with the glossary.
 */
export async function langEvalMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval:lang")
    .option("--dataset <file>", "JSON lines {id, question, language, split}", "evals/datasets/lang.jsonl")
    .option("--retrieval-dataset <file>", "JSON lines {id, question, language, gold}", "evals/datasets/lang-retrieval.jsonl")
    .option("--no-retrieval", "skip the retrieval part (no index needed)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dataset: string; retrievalDataset: string; retrieval: boolean }>();
  const items = loadLangDataset(opts.dataset);
  const detectors = candidateDetectors();
  const out: string[] = [];
  for (const split of ["dev", "test"] as const) {
    const part = items.filter((i) => i.split === split);
    out.push(`${split} split (${part.length} questions)`, "", formatAccuracy("detector", detectionAccuracy(part, detectors)), "");
  }
  if (opts.retrieval) {
    const session = await openSession(io.env, (message) => void writeLine(io.stderr, message), false);
    const rank = (query: string) => session.capabilities.search.rankFichesAsync(query, 10);
    const foreign = loadLangDataset(opts.retrievalDataset);
    for (const split of ["dev", "test"] as const) {
      const part = foreign.filter((i) => (i.split ?? "dev") === split);
      if (part.length === 0) continue;
      out.push(`retrieval of foreign questions, ${split} split (${opts.retrievalDataset})`, "", formatRecall(await crossLingualRecall(part, rank, session.capabilities)), "");
      const byLanguage: RecallRow[] = [];
      for (const language of [...new Set(part.map((i) => i.language))].sort()) {
        const rows = await crossLingualRecall(part.filter((i) => i.language === language), rank, session.capabilities);
        byLanguage.push(...rows.map((r) => ({ ...r, query: `${language}: ${r.query}` })));
      }
      out.push(`per language, ${split} split`, "", formatRecall(byLanguage), "");
    }
  }
  await writeLine(io.stdout, out.join("\n").trimEnd());
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-lang-eval.ts")) await runMain(langEvalMain);
