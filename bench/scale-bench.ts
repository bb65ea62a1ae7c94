import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { loadIndex, saveIndex } from "../corpus/index-store.js";
import { ingest } from "../corpus/ingest.js";
import { parseSourceSpec } from "../corpus/select-source.js";
import { sourcesFromConfig } from "../corpus/select-source.js";
import { loadDataset } from "../evals/dataset.js";
import { buildCapabilities } from "../graphs/capabilities.js";
import { replicateIndex } from "./replicate-index.js";
import { commitId, gcFunction, replaceSection } from "./retrieval-bench.js";
import { fmt, summarize, type Summary } from "./stats.js";

export const SCALE_MARKERS = { start: "<!-- scale-bench:start -->", end: "<!-- scale-bench:end -->" };
const FULL_BREADTH = "vdd-npm,vdd-npm:professionnels,vdd-npm:associations,travail";

/** What one child process measures on one knowledge-base size. */
export interface SizeFigures {
  factor: number;
  fiches: number;
  chunks: number;
  diskMb: number;
  loadMs: number;
  heapMb: number;
  rssMb: number;
  latency: Summary;
}

/** Child: loads the index in `dir` as the server does at start-up, then times retrieval over the questions. */
export function measureSize(dir: string, questions: string[], rounds: number, factor: number): SizeFigures {
  const gc = gcFunction();
  gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  const loaded = loadIndex(dir);
  const capabilities = buildCapabilities(loaded);
  const loadMs = performance.now() - started;
  gc?.();
  const after = process.memoryUsage();
  const search = capabilities.search;
  for (const q of questions) search.search(q, { k: 10, maxPerFiche: 2 });
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const q of questions) {
      const t = performance.now();
      search.search(q, { k: 10, maxPerFiche: 2 });
      samples.push(performance.now() - t);
    }
  }
  const mb = (x: number) => x / 2 ** 20;
  return {
    factor,
    fiches: loaded.manifest.counts.fiches * factor,
    chunks: search.chunks.length,
    diskMb: mb(readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)),
    loadMs,
    heapMb: mb(after.heapUsed + after.external - before.heapUsed - before.external),
    rssMb: mb(after.rss - before.rss),
    latency: summarize(samples),
  };
}

function questionsOf(files: string[]): string[] {
  return files.flatMap((file) => loadDataset(file).filter((i) => i.gold.length > 0).map((i) => i.question));
}

/** `npm run bench:scale`: retrieval latency, memory and start-up load time at 1x, 4x and 16x the knowledge base. */
export async function scaleBenchMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("bench:scale")
    .option("--sources <specs>", "sources of the 1x knowledge base", FULL_BREADTH)
    .option("--index-dir <dir>", "where the 1x index is built", "data/index-all")
    .option("--factors <list>", "sizes, as multiples of the 1x knowledge base", "1,4,16")
    .option("--datasets <files>", "questions timed", "evals/datasets/dev.jsonl,evals/datasets/test.jsonl")
    .option("--rounds <n>", "timed rounds over the questions", "3")
    .option("--out <file>", "markdown file whose scale section is replaced", "docs/benchmarks.md")
    .option("--child <json>", "(internal) measure one size")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ sources: string; indexDir: string; factors: string; datasets: string; rounds: string; out: string; child?: string }>();
  const datasets = opts.datasets.split(",");
  if (opts.child) {
    const { dir, factor } = JSON.parse(opts.child) as { dir: string; factor: number };
    await writeLine(io.stdout, JSON.stringify(measureSize(dir, questionsOf(datasets), Number(opts.rounds), factor)));
    return 0;
  }
  const factors = opts.factors.split(",").map(Number);
  if (factors.some((f) => !Number.isInteger(f) || f < 1)) throw new Error(`--factors: positive integers expected, got ${opts.factors}`);
  const sources = sourcesFromConfig(opts.sources.split(",").map(parseSourceSpec));
  await ingest(sources, { indexDir: opts.indexDir, log: (m) => void writeLine(io.stderr, m) });
  const base = loadIndex(opts.indexDir);
  const work = mkdtempSync(join(tmpdir(), "guichet-scale-"));
  const figures: SizeFigures[] = [];
  try {
    for (const factor of factors) {
      const dir = join(work, `x${factor}`);
      const started = performance.now();
      const index = replicateIndex(base.index, factor);
      saveIndex(dir, index, { ...base.manifest, counts: { ...base.manifest.counts, fiches: base.manifest.counts.fiches } });
      const replicateMs = performance.now() - started;
      await writeLine(io.stderr, `${factor}x: ${index.chunks.length} chunks written in ${fmt(replicateMs / 1000, 1)} s; measuring in a fresh process`);
      // A fresh process per size: start-up load time and memory as a server would see them.
      const child = spawnSync(
        process.execPath,
        ["--import", "tsx", fileURLToPath(import.meta.url), "--child", JSON.stringify({ dir, factor }), "--datasets", opts.datasets, "--rounds", opts.rounds],
        { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=16384" } },
      );
      if (child.status !== 0) throw new Error(`measuring ${factor}x failed: ${child.stderr.slice(-2000)}`);
      figures.push(JSON.parse(child.stdout.trim().split("\n").at(-1)!) as SizeFigures);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const section = scaleSection(figures, {
    corpus: `${base.manifest.sources.map((s) => s.location).join(" + ")}: ${base.manifest.counts.fiches} fiches, ${base.index.chunks.length} chunks`,
    questions: questionsOf(datasets).length,
    rounds: Number(opts.rounds),
  });
  const existing = existsSync(opts.out) ? readFileSync(opts.out, "utf8") : "";
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, replaceSection(existing, section, SCALE_MARKERS));
  await writeLine(io.stdout, section);
  return 0;
}

/** The markdown section: one row per size, growth against 1x, and the targets. */
export function scaleSection(figures: SizeFigures[], about: { corpus: string; questions: number; rounds: number }): string {
  const one = figures.find((f) => f.factor === 1) ?? figures[0]!;
  const largest = figures.at(-1)!;
  const growth = largest.latency.p95 / one.latency.p95;
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  return [
    "## Scale curve (issue 4; `npm run bench:scale`)",
    "",
    "Generated by `npm run bench:scale` (do not edit by hand).",
    "",
    `- Run: ${new Date().toISOString()}, commit ${commitId()}, Node ${process.version}`,
    `- 1x: ${about.corpus}. Larger sizes copy every fiche with a changed id (\`F1234~2\`), at the postings level (the same index a build over the copies makes; a unit test checks it).`,
    `- Each size is saved to disk, then measured in a fresh process: start-up load (\`loadIndex\` + capabilities, as \`npm start\` does), memory retained (heap + external after a forced GC; RSS delta in brackets), then retrieval (\`Retriever.search\`, BM25 + the default re-ranking stage, top-10, the default configuration) over ${about.questions} questions: one warm-up round, ${about.rounds} timed rounds.`,
    "",
    "| size | fiches | chunks | on disk | start-up load | memory | p50 ms | p95 ms | p95 vs 1x |",
    "|---|---|---|---|---|---|---|---|---|",
    ...figures.map(
      (f) =>
        `| ${f.factor}x | ${f.fiches.toLocaleString("en")} | ${f.chunks.toLocaleString("en")} | ${fmt(f.diskMb, 0)} MB | ${fmt(f.loadMs / 1000, 2)} s | ${fmt(f.heapMb, 0)} MB (${fmt(f.rssMb, 0)}) | ${fmt(f.latency.p50)} | ${fmt(f.latency.p95)} | ${fmt(f.latency.p95 / one.latency.p95, 1)}x |`,
    ),
    "",
    `Targets: p95 <= 5 ms at 1x: ${verdict(one.latency.p95 <= 5)} (${fmt(one.latency.p95)} ms); sub-linear growth: ${verdict(growth < largest.factor / one.factor)} (${largest.factor / one.factor}x the fiches, ${fmt(growth, 1)}x the p95); start-up load <= 2 s at 1x: ${verdict(one.loadMs <= 2000)} (${fmt(one.loadMs / 1000, 2)} s).`,
    "",
  ].join("\n");
}

if (process.argv[1]?.endsWith("bench/scale-bench.ts")) await runMain(scaleBenchMain);
