import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildIndex } from "../corpus/build-index.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { replicaId, replicateIndex } from "../bench/replicate-index.js";
import { scaleBenchMain, scaleSection, SCALE_MARKERS } from "../bench/scale-bench.js";
import { SearchIndex } from "../tools/search/search-index.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { PassThrough } from "node:stream";
import type { CliIo } from "../cli/io.js";

function captureIo(): CliIo {
  return { stdin: new PassThrough(), stdout: new PassThrough().resume(), stderr: new PassThrough().resume(), env: process.env };
}

const base = buildIndex(xmlFolderSource(FIXTURES_35)).index;

describe("replicateIndex", () => {
  it("makes the very index a build over the copied fiches makes", () => {
    const copies = [0, 1, 2].flatMap((copy) =>
      base.chunks.map((c) => (copy === 0 ? c : { ...c, id: replicaId(c.id, copy), ficheId: replicaId(c.ficheId, copy) })),
    );
    const built = SearchIndex.build(copies).toBinary();
    const replicated = replicateIndex(base, 3).toBinary();
    expect(replicated.meta).toEqual(built.meta);
    expect(Array.from(replicated.data)).toEqual(Array.from(built.data));
  });

  it("finds every copy of the best fiche, and returns the index itself at 1x", () => {
    expect(replicateIndex(base, 1)).toBe(base);
    const ranked = replicateIndex(base, 4).rankFiches("bonus malus coefficient", 4);
    expect(new Set(ranked)).toEqual(new Set(["F2655", "F2655~1", "F2655~2", "F2655~3"]));
  });
});

describe("npm run bench:scale", () => {
  it("measures each size in a fresh process and writes the section", async () => {
    const dir = tempDir();
    const dataset = join(dir, "q.jsonl");
    writeFileSync(dataset, `${JSON.stringify({ id: "q1", question: "bonus malus assurance", gold: ["F2655"] })}\n`);
    const out = join(dir, "bench.md");
    writeFileSync(out, "# Benchmarks\n\nkept\n");
    const io = captureIo();
    const code = await scaleBenchMain(
      ["--sources", `vdd-xml=${FIXTURES_35}`, "--index-dir", join(dir, "index"), "--factors", "1,2", "--rounds", "2", "--datasets", dataset, "--out", out],
      io,
    );
    expect(code).toBe(0);
    const md = readFileSync(out, "utf8");
    expect(md).toContain("kept");
    expect(md).toContain(SCALE_MARKERS.start);
    expect(md).toMatch(/\| 1x \| 12 \| \d+ \|/);
    expect(md).toMatch(/\| 2x \| 24 \| \d+ \|/);
    expect(md).toMatch(/start-up load <= 2 s at 1x: (met|\*\*missed\*\*)/);
  }, 120_000);

  it("refuses sizes that are not positive integers", async () => {
    await expect(scaleBenchMain(["--factors", "1,0.5"], captureIo())).rejects.toThrow(/--factors/);
  });

  it("says when a target is missed", () => {
    const size = (factor: number, p95: number, loadMs: number) => ({
      factor, fiches: 10 * factor, chunks: 100 * factor, diskMb: factor, loadMs, heapMb: 1, rssMb: 1,
      latency: { n: 10, p50: p95 / 2, p95, p99: p95, max: p95 },
    });
    const text = scaleSection([size(1, 6, 2500), size(4, 30, 9000)], { corpus: "c", questions: 10, rounds: 1 });
    expect(text).toContain("p95 <= 5 ms at 1x: **missed** (6.00 ms)");
    expect(text).toContain("sub-linear growth: **missed** (4x the fiches, 5.0x the p95)");
    expect(text).toContain("start-up load <= 2 s at 1x: **missed** (2.50 s)");
  });
});
