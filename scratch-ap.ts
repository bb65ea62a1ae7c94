import { execFileSync } from "node:child_process";
import { openSession } from "./cli/session.js";
import { translateQueryOffline } from "./tools/lang/translate-query.js";
import { loadLangDataset } from "./evals/lang-eval.js";
const s = await openSession(process.env, () => {}, false);
for (const file of ["evals/datasets/lang-retrieval.jsonl", "evals/datasets/lang-retrieval-fresh.jsonl"]) {
  const items = loadLangDataset(file).filter((i) => i.language === "es");
  const score: Record<string, number> = { fd: 0, ap: 0, both: 0 };
  for (const i of items) {
    const fd = translateQueryOffline(i.question, i.language, s.capabilities.bilingual?.es).query;
    const ap = execFileSync("bash", ["-c", 'apertium -u es-fr <<<"$1"', "ap", i.question]).toString().trim();
    for (const [k, q] of [["fd", fd], ["ap", ap], ["both", ap + " " + fd]] as const) {
      const r = (await s.capabilities.search.rankFichesAsync(q, 10)).slice(0, 10);
      if (r.some((f) => i.gold!.includes(f))) score[k] += 1;
    }
  }
  console.log(file, items.length, score);
}
process.exit(0);
