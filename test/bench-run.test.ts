import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { benchMain } from "../bench/run-bench.js";
import { percentile, summarize } from "../bench/stats.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

describe("bench statistics", () => {
  it("takes percentiles by nearest rank", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 95)).toBe(95);
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
    expect(summarize([5, 1, 9])).toEqual({ n: 3, p50: 5, p95: 9, p99: 9, max: 9 });
  });
});

describe("npm run bench (quick run on the 3.5 fixtures)", () => {
  it("measures every figure and writes the report, keeping later sections", async () => {
    const dir = tempDir();
    const out = join(dir, "benchmarks.md");
    const dataset = join(dir, "questions.jsonl");
    writeFileSync(
      dataset,
      ['{"id":"1","question":"bonus malus assurance auto","gold":["F2655"]}', '{"id":"2","question":"vol de voiture","gold":["F21138"]}'].join("\n"),
    );
    writeFileSync(out, "old\n<!-- later sections: kept across runs of npm run bench -->\n## Kept section\n");
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let printed = "";
    stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    stderr.resume();
    const code = await benchMain(
      ["--seconds", "1", "--out", out, "--dataset", dataset, "--xml", FIXTURES_35, "--index-dir", join(dir, "index"), "--dense"],
      { stdin: new PassThrough(), stdout, stderr, env: process.env },
    );
    expect(code).toBe(0);
    const report = readFileSync(out, "utf8");
    expect(report).toMatch(/^# Benchmarks/);
    expect(report).toContain("| fiches read / indexed / skipped | 12 / 12 / 0 |");
    expect(report).toMatch(/\| retrieval \(BM25, top-10, grouped\) \| 10 \| [\d.]+ \| [\d.]+ \|/);
    expect(report).toMatch(/\| retrieval \(hybrid, LSA \+ HNSW, top-10, grouped\) \| 10 \| [\d.]+ \| [\d.]+ \|/);
    expect(report).toContain("| full ingest (read, parse, chunk, BM25, LSA + HNSW, write) |");
    expect(report).toMatch(/\| 10 \| POST \/invoke \| \d+ \| [\d.]+ \| [\d.]+ \| \d+ \| 0 \| 0 \|/);
    expect(report).toMatch(/\| 1 connection\(s\) \| \d+ MB \| \d+ MB \|/);
    expect(report).toMatch(/\| peer: same graph shape, no-op nodes \(LangGraph runtime alone\) \| 2 \|/);
    expect(report).toContain("## Kept section");
    expect(report).not.toContain("old\n");
    expect(printed).toContain("# Benchmarks");
  }, 120_000);
});
