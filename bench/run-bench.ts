import { spawn, type ChildProcess } from "node:child_process";
import { execSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Command } from "commander";
import { buildIndex } from "../corpus/build-index.js";
import { loadIndex, saveIndex } from "../corpus/index-store.js";
import { npmVddSource } from "../corpus/sources/npm-vdd.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { buildCapabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";
import { loadDataset } from "../evals/dataset.js";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import type { RetrievalMode } from "../tools/search/retriever.js";
import { buildNoopGraph } from "./noop-graph.js";
import { fmt, summarize, type Summary } from "./stats.js";

/** Old-space cap of the server, as `npm start` sets it. */
export const SERVER_HEAP_MB = 768;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface LoadResult {
  latency: Summary;
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
}

/** Resident memory of a process and all its descendants (the cluster's workers), in MB. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  let kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "NaN");
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    children = [];
  }
  for (const child of children) kb += rssMb(Number(child)) * 1024;
  return kb / 1024;
}

export async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("server did not become healthy in time");
}

/** Closed-loop load with autocannon; latencies are collected per response for exact percentiles. */
async function load(
  url: string,
  path: string,
  bodies: string[] | undefined,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      bodies
        ? {
            method: "POST",
            path,
            headers: { "content-type": "application/json" },
            setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] ?? "{}" }),
          }
        : { method: "GET", path },
    ],
  });
  (instance as unknown as NodeJS.EventEmitter).on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  return {
    latency: summarize(latencies),
    requestsPerSecond: result.requests.average,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

interface ServerFigures {
  connections: number;
  health: LoadResult;
  invoke: LoadResult;
  rssIdle: number;
  rssLoaded: number;
}

async function measureServer(
  dir: string,
  connections: number,
  bodies: string[],
  seconds: number,
  log: (m: string) => void,
): Promise<ServerFigures> {
  const port = 3900 + Math.floor(Math.random() * 90);
  // The same heap cap as `npm start` (package.json): with none, V8 sizes the heap for the machine's 24 GiB.
  const child = spawn(process.execPath, [`--max-old-space-size=${SERVER_HEAP_MB}`, "--import", "tsx", join(REPO, "server", "main.ts")], {
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: "warn",
      GUICHET_INDEX_DIR: dir,
      // The load test measures capacity, not quotas: one client IP would hit the 10/min default at once.
      GUICHET_RATE_LIMIT_PER_MINUTE: "1000000000",
      GUICHET_AUTH: "off",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child);
    const rssIdle = rssMb(child.pid!);
    log(`load: GET /health (peer) then POST /invoke, ${connections} connection(s), ${seconds} s each...`);
    const health = await load(url, "/health", undefined, seconds, connections);
    const invoke = await load(url, "/invoke", bodies, seconds, connections);
    return { connections, health, invoke, rssIdle, rssLoaded: rssMb(child.pid!) };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

/** `npm run bench`: ingest, memory, retrieval and HTTP figures, written to docs/benchmarks.md. */
export async function benchMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("bench")
    .description("Measure ingestion, retrieval, HTTP latency and memory")
    .option("--seconds <n>", "duration of each load test", (v) => Number(v), 15)
    .option("--out <file>", "markdown report to write", "docs/benchmarks.md")
    .option("--dataset <file>", "questions to replay", "evals/datasets/dev.jsonl")
    .option("--xml <folder>", "index a folder of XML fiches instead of the npm snapshot (quick runs)")
    .option("--index-dir <dir>", "where the bench index is built", join("data", "bench-index"))
    .option("--dense", "also build the offline dense leg (LSA + HNSW) and measure hybrid retrieval", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ seconds: number; out: string; dataset: string; xml?: string; indexDir: string; dense: boolean }>();
  const { seconds, out } = opts;
  const log = (m: string) => void writeLine(io.stderr, m);
  const dir = opts.indexDir;
  mkdirSync(dir, { recursive: true });

  log(`full ingest of ${opts.xml ?? "the npm snapshot"}...`);
  const t0 = performance.now();
  const built = buildIndex(opts.xml ? xmlFolderSource(opts.xml) : npmVddSource("particuliers"), { dense: opts.dense });
  saveIndex(dir, built.index, built.manifest, built.fiches, built.dense);
  const ingestMs = performance.now() - t0;
  const indexBytes = readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);

  const t1 = performance.now();
  const loaded = loadIndex(dir);
  const loadMs = performance.now() - t1;
  const capabilities = buildCapabilities(loaded);
  const questions = loadDataset(opts.dataset).map((item) => item.question);

  log("retrieval and in-process graph latency over the dev questions...");
  const retrieval: number[] = [];
  const graphRuns: number[] = [];
  const graph = buildGraph();
  const modes: RetrievalMode[] = built.dense ? ["bm25", "dense", "hybrid"] : ["bm25"];
  const retrievalByMode = new Map<RetrievalMode, number[]>();
  for (const mode of modes) {
    const samples: number[] = [];
    for (const q of questions) capabilities.search.search(q, { k: 10, mode });
    for (let round = 0; round < 5; round++) {
      for (const q of questions) {
        const s = performance.now();
        capabilities.search.search(q, { k: 10, mode });
        samples.push(performance.now() - s);
      }
    }
    retrievalByMode.set(mode, samples);
  }
  retrieval.push(...retrievalByMode.get("bm25")!);
  for (const q of questions) {
    const s = performance.now();
    await runGuichet(graph, { question: q }, { capabilities });
    graphRuns.push(performance.now() - s);
  }
  const noopRuns: number[] = [];
  const noop = buildNoopGraph();
  for (const q of questions) await noop.invoke({ question: q });
  for (const q of questions) {
    const s = performance.now();
    await noop.invoke({ question: q });
    noopRuns.push(performance.now() - s);
  }

  const bodies = questions.map((question) => JSON.stringify({ question }));
  const servers: ServerFigures[] = [];
  for (const connections of [1, 10]) {
    log(`starting the server for ${connections} connection(s)...`);
    servers.push(await measureServer(dir, connections, bodies, seconds, log));
  }

  const commit = (() => {
    try {
      return execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    } catch {
      return "unknown";
    }
  })();
  const r = summarize(retrieval);
  const g = summarize(graphRuns);
  const nr = summarize(noopRuns);
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  const lines = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (do not edit by hand). Machine figures are noisy: compare ratios within one run.",
    "",
    `- Run: ${new Date().toISOString()}, commit ${commit}, Node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `- Corpus: ${built.manifest.sources.map((s) => s.location).join(" + ")}, snapshot date ${built.manifest.snapshotDate}`,
    "",
    "## Ingestion and index",
    "",
    "| figure | value | target |",
    "|---|---|---|",
    `| full ingest (read, parse, chunk, BM25${opts.dense ? ", LSA + HNSW" : ""}, write) | ${fmt(ingestMs / 1000, 1)} s | <= 180 s: ${verdict(ingestMs <= 180_000)} |`,
    `| fiches read / indexed / skipped | ${built.manifest.counts.read} / ${built.manifest.counts.fiches} / ${built.manifest.counts.skipped} | |`,
    `| chunks | ${built.manifest.counts.chunks} | |`,
    `| index size on disk | ${fmt(indexBytes / 2 ** 20, 1)} MiB | |`,
    `| index load (parse + rebuild postings) | ${fmt(loadMs, 0)} ms | |`,
    "",
    "## Retrieval and graph, in process",
    "",
    `Over the ${questions.length} questions of \`${opts.dataset}\` (retrieval: 5 rounds after one warm-up round; graph: one round).`,
    "",
    "| stage | n | p50 ms | p95 ms | max ms | target |",
    "|---|---|---|---|---|---|",
    `| retrieval (BM25, top-10, grouped) | ${r.n} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.max)} | p95 <= 10 ms: ${verdict(r.p95 <= 10)} |`,
    ...modes
      .filter((m) => m !== "bm25")
      .map((m) => {
        const x = summarize(retrievalByMode.get(m)!);
        return `| retrieval (${m}, LSA + HNSW, top-10, grouped) | ${x.n} | ${fmt(x.p50)} | ${fmt(x.p95)} | ${fmt(x.max)} | |`;
      }),
    `| whole graph run (guard, retrieve, answer, translate) | ${g.n} | ${fmt(g.p50)} | ${fmt(g.p95)} | ${fmt(g.max)} | |`,
    `| peer: same graph shape, no-op nodes (LangGraph runtime alone) | ${nr.n} | ${fmt(nr.p50)} | ${fmt(nr.p95)} | ${fmt(nr.max)} | |`,
    "",
    `The LangGraph runtime alone accounts for ${fmt((100 * nr.p50) / Math.max(g.p50, 0.001), 0)} % of a run's median.`,
    "",
    "## HTTP under load",
    "",
    `autocannon, ${seconds} s per endpoint and connection count, dev questions in rotation, a fresh server for each connection count; \`GET /health\` is the peer measured in the same run (the cost of the HTTP stack alone).`,
    "",
    "| connections | endpoint | requests | p50 ms | p95 ms | req/s | errors | non-2xx | target |",
    "|---|---|---|---|---|---|---|---|---|",
    ...servers.flatMap((sv) => [
      `| ${sv.connections} | GET /health (peer) | ${sv.health.latency.n} | ${fmt(sv.health.latency.p50)} | ${fmt(sv.health.latency.p95)} | ${fmt(sv.health.requestsPerSecond, 0)} | ${sv.health.errors} | ${sv.health.non2xx} | |`,
      `| ${sv.connections} | POST /invoke | ${sv.invoke.latency.n} | ${fmt(sv.invoke.latency.p50)} | ${fmt(sv.invoke.latency.p95)} | ${fmt(sv.invoke.requestsPerSecond, 0)} | ${sv.invoke.errors} | ${sv.invoke.non2xx} | ${sv.connections === 10 ? `p95 <= 50 ms: ${verdict(sv.invoke.latency.p95 <= 50)}` : ""} |`,
    ]),
    "",
    ...servers.map(
      (sv) =>
        `With ${sv.connections} connection(s), /invoke p95 is ${fmt(sv.invoke.latency.p95 / Math.max(sv.health.latency.p95, 0.001), 1)}x the peer's p95.`,
    ),
    "",
    "The load generator runs on the same 2 cores as the server.",
    "",
    "## Server memory",
    "",
    "| server of the run with | idle, index loaded | after the load test | target |",
    "|---|---|---|---|",
    ...servers.map(
      (sv) =>
        `| ${sv.connections} connection(s) | ${fmt(sv.rssIdle, 0)} MB | ${fmt(sv.rssLoaded, 0)} MB | <= 600 MB: ${verdict(Math.max(sv.rssIdle, sv.rssLoaded) <= 600)} |`,
    ),
    "",
  ];
  const existing = (() => {
    try {
      return readFileSync(out, "utf8");
    } catch {
      return "";
    }
  })();
  const marker = "<!-- later sections: kept across runs of npm run bench -->";
  const tail = existing.includes(marker) ? existing.slice(existing.indexOf(marker)) : marker + "\n";
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join("\n")}\n${tail}`);
  await writeLine(io.stdout, lines.join("\n"));
  return 0;
}

if (process.argv[1]?.endsWith("bench/run-bench.ts")) await runMain(benchMain);
