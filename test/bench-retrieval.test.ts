import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { distinctFiches, replaceSection, retrievalBenchMain, SECTION_END, SECTION_START } from "../bench/retrieval-bench.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

describe("retrieval bench helpers", () => {
  it("keeps distinct fiche ids in order, at most k", () => {
    expect(distinctFiches(["F1", "F1", "F2", "F3", "F2", "F4"], 3)).toEqual(["F1", "F2", "F3"]);
    expect(distinctFiches([])).toEqual([]);
  });

  it("rewrites only what lies between the markers, or appends them", () => {
    const doc = `# Title\n\nbefore\n${SECTION_START}\nold section\n${SECTION_END}\nafter\n`;
    expect(replaceSection(doc, "new section\n")).toBe(`# Title\n\nbefore\n${SECTION_START}\nnew section\n${SECTION_END}\nafter\n`);
    expect(replaceSection("# Title\n", "x")).toBe(`# Title\n\n${SECTION_START}\nx\n${SECTION_END}\n`);
    expect(replaceSection("", "x")).toBe(`${SECTION_START}\nx\n${SECTION_END}\n`);
  });
});

describe("npm run bench:retrieval (quick run on the 3.5 fixtures)", () => {
  it("compares the four engines and rewrites its section only", async () => {
    const dir = tempDir();
    const out = join(dir, "benchmarks.md");
    const dataset = join(dir, "questions.jsonl");
    writeFileSync(
      dataset,
      [
        '{"id":"1","question":"bonus malus assurance auto","gold":["F2655"],"style":"title"}',
        '{"id":"2","question":"on m\'a volé ma voiture cette nuit, je fais quoi ?","gold":["F21138","F2685"],"style":"citizen"}',
        '{"id":"3","question":"je prête ma voiture à un ami, il est assuré ?","gold":["F2632"],"style":"citizen"}',
        '{"id":"4","question":"quel temps fera-t-il demain ?","gold":[]}',
      ].join("\n"),
    );
    const head = "# Benchmarks\n\nOther text, kept.\n\n";
    const tail = "\n## Later section\n\nAlso kept.\n";
    writeFileSync(out, `${head}${SECTION_START}\nstale figures\n${SECTION_END}${tail}`);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let printed = "";
    stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    stderr.resume();
    const code = await retrievalBenchMain(
      ["--quick", "--xml", FIXTURES_35, "--dataset", dataset, "--index-dir", join(dir, "index"), "--out", out],
      { stdin: new PassThrough(), stdout, stderr, env: process.env },
    );
    expect(code).toBe(0);

    const report = readFileSync(out, "utf8");
    expect(report.startsWith(`${head}${SECTION_START}\n`)).toBe(true);
    expect(report.endsWith(`${SECTION_END}${tail}`)).toBe(true);
    expect(report).not.toContain("stale figures");
    const section = report.slice(report.indexOf(SECTION_START) + SECTION_START.length, report.indexOf(SECTION_END));
    expect(printed.trim()).toBe(section.trim());
    expect(section).toContain("Quick run");
    expect(section).toContain("12 fiches");
    expect(section).toContain("3 in scope");

    for (const engine of ["Guichet BM25", "Guichet hybrid", "Orama BM25", "Orama hybrid"]) {
      const row = section.split("\n").find((line) => line.startsWith(`| ${engine} |`));
      expect(row).toBeDefined();
      const cells = row!.split("|").slice(2, -1).map((c) => c.trim());
      const [recall, mrr, citizenRecall, citizenMrr, p50, p95] = cells.slice(0, 6).map(Number);
      for (const value of [recall, mrr, citizenRecall, citizenMrr]) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
      expect(Number.isFinite(p50)).toBe(true);
      expect(Number.isFinite(p95)).toBe(true);
      expect(p95).toBeGreaterThanOrEqual(p50!);
      expect(cells[6]).toMatch(/\d/);
      expect(cells[7]).toMatch(/^-?\d+ MB/);
    }
    expect(section).toMatch(/\| BM25 \| (met|\*\*missed\*\*) \| [\d.]+x \| (met|\*\*missed\*\*) \|/);
    expect(section).toMatch(/\| hybrid \| (met|\*\*missed\*\*) \| [\d.]+x \| (met|\*\*missed\*\*) \|/);
  }, 60_000);
});
