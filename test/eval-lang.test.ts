import { PassThrough } from "node:stream";
import { crossLingualRecall, detectionAccuracy, formatAccuracy, formatRecall, loadLangDataset } from "../evals/lang-eval.js";
import { langEvalMain } from "../evals/run-lang-eval.js";
import { tempDir } from "./helpers/fixtures.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

describe("language eval", () => {
  it("the dataset has at least 300 questions, 40 per language, split dev/test", () => {
    const items = loadLangDataset("evals/datasets/lang.jsonl");
    expect(items.length).toBeGreaterThanOrEqual(300);
    for (const lang of ["fr", "en", "es", "pt", "ar", "de", "it"]) {
      expect(items.filter((i) => i.language === lang).length).toBeGreaterThanOrEqual(40);
    }
    expect(new Set(items.map((i) => i.split))).toEqual(new Set(["dev", "test"]));
  });

  it("computes accuracy per language and overall, and formats it", () => {
    const items = [
      { id: "1", question: "a", language: "fr" },
      { id: "2", question: "b", language: "en" },
      { id: "3", question: "c", language: "en" },
    ];
    const rows = detectionAccuracy(items, { always_en: () => "en" });
    expect(rows[0]!.accuracy).toEqual({ fr: 0, en: 1, all: 2 / 3 });
    expect(formatAccuracy("detector", rows)).toContain("| always_en | 0.000 | 1.000 | 0.667 |");
  });

  it("measures recall@10 of raw and glossary-translated queries", async () => {
    const items = [{ id: "1", question: "How much does a passport cost?", language: "en", gold: ["F1"] }];
    const rows = await crossLingualRecall(items, async (q) => (q.includes("passeport") ? ["F9", "F1"] : ["F9"]));
    expect(rows.map((r) => [r.recallAt10, r.mrrAt10])).toEqual([[0, 0], [1, 0.5]]);
    expect(formatRecall(rows)).toContain("| glossary → French keywords | 1 | 1.000 | 0.500 |");
  });

  it("rejects a bad line with its number", () => {
    const file = join(tempDir(), "bad.jsonl");
    writeFileSync(file, '{"id":"1","question":"q","language":"fr"}\n{"id":"2","question":"q","language":"french"}\n');
    expect(() => loadLangDataset(file)).toThrow(/bad\.jsonl:2/);
  });

  it("npm run eval:lang -- --no-retrieval prints both splits' tables", async () => {
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await langEvalMain(["--no-retrieval"], { stdin: new PassThrough(), stdout, stderr: new PassThrough(), env: {} });
    expect(code).toBe(0);
    expect(out).toContain("dev split (175 questions)");
    expect(out).toMatch(/\| guichet \(eld small \+ rules\) \|( 1\.000 \|| 0\.9\d\d \|)+/);
  });
});
