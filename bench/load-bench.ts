import { spawn, type ChildProcess } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Command } from "commander";
import { createClient } from "redis";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { loadCachePairs } from "../evals/cache-pairs.js";
import { loadDataset } from "../evals/dataset.js";
import { exactForm } from "../tools/cache/question-signature.js";
import { freePort } from "../test/helpers/instances.js";
import { startChild } from "./llm-bench.js";
import { commitId, replaceSection } from "./retrieval-bench.js";
import { SERVER_HEAP_MB, waitForHealth } from "./run-bench.js";
import { fmt, summarize, type Summary } from "./stats.js";

export const LOAD_MARKERS = { start: "<!-- load-bench:start -->", end: "<!-- load-bench:end -->" };

/** What a response was: its cache layer when it is a 200, else its status. */
export type Outcome = "exact" | "semantic" | "miss" | "uncached" | `http ${number}` | "error";

interface Server {
  url: string;
  child: ChildProcess;
}

export interface LoadFigures {
  /** Latencies of the responses of the kind the row measures. */
  latency: Summary;
  requestsPerSecond: number;
  outcomes: Record<string, number>;
  /** Shed responses that carried a usable Retry-After. */
  retryAfter: number;
}

/** Reads the cache layer from a JSON answer without parsing it whole (the load generator shares the 2 cores). */
export function outcomeOf(status: number, body: string | undefined): Outcome {
  if (status !== 200) return `http ${status}`;
  const layer = /"cache":"(exact|semantic|miss)"/.exec(body ?? "")?.[1] as Outcome | undefined;
  return layer ?? "uncached";
}

/** autocannon keeps the header names as the server wrote them. */
const headerOf = (headers: IncomingHttpHeaders | undefined, name: string) =>
  Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];

/**
 * Closed-loop load with autocannon on one or more instances at once (the connections split between them), bodies
 * in rotation; every response is classified by its cache layer, and only those of `kind` give the percentiles.
 * `amount` sends each body at most once (misses) instead of running for `seconds`.
 */
export async function load(
  urls: string[],
  bodies: string[],
  connections: number,
  kind: Outcome | "any200",
  run: { seconds: number } | { amount: number },
): Promise<LoadFigures> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let retryAfter = 0;
  let next = 0;
  let last: Outcome = "error";
  const perInstance = urls.map((_, i) => Math.max(1, Math.floor(connections / urls.length) + (i < connections % urls.length ? 1 : 0)));
  const opened = perInstance.reduce((sum, n) => sum + n, 0);
  const runs = urls.map((url, i) => {
    const instance = autocannon({
      url,
      connections: perInstance[i]!,
      ...("seconds" in run ? { duration: run.seconds } : { amount: Math.max(1, Math.round((run.amount * perInstance[i]!) / opened)) }),
      timeout: 30,
      requests: [
        {
          method: "POST",
          path: "/invoke",
          headers: { "content-type": "application/json" },
          setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] ?? "{}" }),
          onResponse: (status: number, body: string, _context: unknown, headers?: IncomingHttpHeaders) => {
            // autocannon records a response's body, then emits its timing at once: `last` pairs them.
            last = outcomeOf(status, body);
            if (status === 503 && Number(headerOf(headers, "retry-after")) >= 1) retryAfter++;
          },
        },
      ],
    });
    (instance as unknown as NodeJS.EventEmitter).on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      outcomes[last] = (outcomes[last] ?? 0) + 1;
      if (kind === last || (kind === "any200" && !last.startsWith("http") && last !== "error")) latencies.push(responseTime);
    });
    return instance;
  });
  const results = await Promise.all(runs);
  const failed = results.reduce((sum, r) => sum + r.errors + r.timeouts, 0);
  if (failed > 0) outcomes.error = (outcomes.error ?? 0) + failed;
  return {
    latency: summarize(latencies),
    requestsPerSecond: results.reduce((sum, r) => sum + r.requests.average, 0),
    outcomes,
    retryAfter,
  };
}

/** `server/main.ts` in its own process with `npm start`'s heap cap, logging to a file as a deployment would. */
export async function startServer(env: Record<string, string | undefined>, logFile: string): Promise<Server> {
  const port = await freePort();
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [`--max-old-space-size=${SERVER_HEAP_MB}`, "--import", "tsx", join("server", "main.ts")], {
    env: { ...env, HOST: "127.0.0.1", PORT: String(port) },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child);
  return { url, child };
}

export async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
}

/** Asks each question once (a few at a time) and gives the cache layer each answer came from. */
export async function ask(url: string, questions: string[], parallel = 4): Promise<Map<string, Outcome>> {
  const seen = new Map<string, Outcome>();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < questions.length) {
        const question = questions[next++]!;
        const res = await fetch(`${url}/invoke`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ question }) });
        seen.set(question, outcomeOf(res.status, await res.text()));
      }
    }),
  );
  return seen;
}

export const distinct = (questions: string[], exclude: Set<string>) => {
  const kept = new Map<string, string>();
  for (const q of questions) if (!exclude.has(exactForm(q)) && !kept.has(exactForm(q))) kept.set(exactForm(q), q);
  return [...kept.values()];
};

interface Topology {
  label: string;
  instances: number;
  cache: "memory" | "redis";
}

export interface Row {
  topology: string;
  kind: "exact" | "semantic" | "miss";
  connections: number;
  figures: LoadFigures;
}

export interface BurstFigures {
  requests: number;
  capacity: number;
  outcomes: Record<string, number>;
  retryAfter: number;
  ok: Summary;
  probeIdle: Summary;
  probeDuringBurst: Summary;
  probeOutcomes: Record<string, number>;
}

/** `npm run bench:load`: cache hits and misses on one and two instances, and a burst against the LLM queue. */
export async function loadBenchMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("bench:load")
    .description("Answer-cache hits, misses and an LLM burst under autocannon, on one and two instances")
    .option("--seconds <n>", "duration of each timed load", (v) => Number(v), 10)
    .option("--connections <list>", "connection counts", "1,10,50")
    .option("--index-dir <dir>", "index the servers load (built by npm run ingest)", process.env.GUICHET_INDEX_DIR ?? "data/index")
    .option("--redis <url>", "Redis for the shared cache and rate limits", "redis://127.0.0.1:6379")
    .option("--model-delay <ms>", "latency of the scripted LLM in the burst", (v) => Number(v), 300)
    .option("--out <file>", "markdown file whose load-bench section is rewritten", "docs/benchmarks.md")
    .option("--no-write", "print the section without writing it")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ seconds: number; connections: string; indexDir: string; redis: string; modelDelay: number; out: string; write: boolean }>();
  const log = (m: string) => void writeLine(io.stderr, m);
  const connectionCounts = opts.connections.split(",").map(Number);
  if (!existsSync(join(opts.indexDir, "manifest.json"))) {
    await writeLine(io.stderr, `no index in ${opts.indexDir}: build it first (npm run ingest), or pass --index-dir`);
    return 2;
  }
  const run = randomUUID().slice(0, 8);
  const prefix = `guichet-bench:${run}:`;
  const logDir = join(tmpdir(), `guichet-load-bench-${run}`);
  mkdirSync(logDir, { recursive: true });
  const baseEnv: Record<string, string | undefined> = {
    ...process.env,
    OPENAI_API_KEY: undefined,
    OPENAI_BASE_URL: undefined,
    GUICHET_INDEX_DIR: opts.indexDir,
    GUICHET_AUTH: "off",
    // Capacity, not quotas: one client address would meet the per-minute default at once.
    GUICHET_RATE_LIMIT_PER_MINUTE: "1000000000",
    GUICHET_THREADS: "off",
  };

  // The cache is warmed with the dev questions and the anchors of the held-out pairs; exact hits replay the dev
  // questions, semantic hits the held-out paraphrases that hit; misses are questions asked nowhere else.
  const dev = loadDataset("evals/datasets/dev.jsonl").map((item) => item.question);
  const pairs = loadCachePairs("evals/datasets/cache-pairs-fresh.jsonl");
  const anchors = [...new Set(pairs.map((p) => p.a))];
  const warm = distinct([...dev, ...anchors], new Set());
  const paraphrases = distinct(pairs.filter((p) => p.same).map((p) => p.b), new Set(warm.map(exactForm)));
  const missPool = distinct(
    [
      ...loadDataset("evals/datasets/test.jsonl").map((item) => item.question),
      ...pairs.filter((p) => !p.same).map((p) => p.b),
      ...loadCachePairs("evals/datasets/cache-pairs-core.jsonl").flatMap((p) => [p.a, p.b]),
    ],
    new Set([...warm, ...paraphrases].map(exactForm)),
  );
  const missShare = Math.floor(missPool.length / connectionCounts.length);

  const topologies: Topology[] = [
    { label: "1 instance, in-memory cache", instances: 1, cache: "memory" },
    { label: "1 instance, Redis cache", instances: 1, cache: "redis" },
    { label: "2 instances, one Redis", instances: 2, cache: "redis" },
  ];
  const rows: Row[] = [];
  const servedAs: Record<string, { exact: number; semantic: number; warm: number; paraphrases: number }> = {};
  const redis = createClient({ url: opts.redis });
  await redis.connect();
  try {
    for (const [t, topology] of topologies.entries()) {
      const env = {
        ...baseEnv,
        GUICHET_CACHE: topology.cache,
        GUICHET_REDIS_URL: topology.cache === "redis" ? opts.redis : undefined,
        GUICHET_CACHE_PREFIX: `${prefix}${t}:cache:`,
        GUICHET_RATE_LIMIT_PREFIX: `${prefix}${t}:rl:`,
      };
      const start = () => Promise.all(Array.from({ length: topology.instances }, (_, i) => startServer(env, join(logDir, `t${t}-${i}.log`))));
      log(`${topology.label}: starting, warming the cache with ${warm.length} questions...`);
      let servers = await start();
      const urls = servers.map((s) => s.url);
      await ask(urls[0]!, warm);
      // Served from the cache on the last instance: a shared cache shows there.
      const again = await ask(urls.at(-1)!, warm);
      const exactBodies = warm.filter((q) => again.get(q) === "exact").map((question) => JSON.stringify({ question }));
      const para = await ask(urls.at(-1)!, paraphrases);
      const semanticBodies = paraphrases.filter((q) => para.get(q) === "semantic").map((question) => JSON.stringify({ question }));
      servedAs[topology.label] = { exact: exactBodies.length, semantic: semanticBodies.length, warm: warm.length, paraphrases: paraphrases.length };
      for (const connections of connectionCounts) {
        log(`${topology.label}: exact and semantic hits at ${connections} connection(s), ${opts.seconds} s each...`);
        rows.push({ topology: topology.label, kind: "exact", connections, figures: await load(urls, exactBodies, connections, "exact", { seconds: opts.seconds }) });
        rows.push({ topology: topology.label, kind: "semantic", connections, figures: await load(urls, semanticBodies, connections, "semantic", { seconds: opts.seconds }) });
      }
      for (const [c, connections] of connectionCounts.entries()) {
        const slice = missPool.slice(c * missShare, (c + 1) * missShare).map((question) => JSON.stringify({ question }));
        log(`${topology.label}: ${slice.length} misses at ${connections} connection(s)...`);
        rows.push({ topology: topology.label, kind: "miss", connections, figures: await load(urls, slice, connections, "miss", { amount: slice.length }) });
      }
      await Promise.all(servers.map(stopServer));
      servers = [];
    }

    const burst = await measureBurst(baseEnv, join(logDir, "burst.log"), opts.modelDelay, missPool, log);
    const section = loadSection(rows, burst, servedAs, { seconds: opts.seconds, missShare, modelDelay: opts.modelDelay });
    await writeLine(io.stdout, section);
    if (opts.write) {
      const existing = existsSync(opts.out) ? readFileSync(opts.out, "utf8") : "";
      writeFileSync(opts.out, replaceSection(existing, section, LOAD_MARKERS));
    }
    return 0;
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    await redis.quit();
    log(`server logs: ${logDir}`);
  }
}

const BURST_CONCURRENCY = 8;
const BURST_QUEUE = 32;

/**
 * One instance whose answers come from the scripted LLM (its own process) behind a queue of 8 running + 32 waiting:
 * 120 distinct questions at once, while one connection asks a cached question over and over.
 */
export async function measureBurst(
  baseEnv: Record<string, string | undefined>,
  logFile: string,
  modelDelay: number,
  questions: string[],
  log: (m: string) => void,
): Promise<BurstFigures> {
  const model = startChild(["--serve-model", String(modelDelay)], []);
  const [modelUrl] = await model.ready;
  const server = await startServer(
    {
      ...baseEnv,
      OPENAI_API_KEY: "sk-bench-not-a-secret",
      OPENAI_BASE_URL: modelUrl,
      OPENAI_MODEL: "scripted-model",
      GUICHET_CACHE: "memory",
      GUICHET_LLM_CONCURRENCY: String(BURST_CONCURRENCY),
      GUICHET_LLM_QUEUE: String(BURST_QUEUE),
    },
    logFile,
  );
  try {
    const capacity = BURST_CONCURRENCY + BURST_QUEUE;
    const probe = [JSON.stringify({ question: "Combien coûte un passeport pour un adulte ?" })];
    await load([server.url], probe, 1, "any200", { amount: 2 });
    log("burst: the cached probe alone, then 3x the queue's capacity at once with the probe running...");
    const idle = await load([server.url], probe, 1, "exact", { seconds: 3 });
    const bodies = questions.slice(0, 3 * capacity).map((question) => JSON.stringify({ question }));
    const [during, burst] = await Promise.all([
      load([server.url], probe, 1, "exact", { seconds: 3 }),
      load([server.url], bodies, bodies.length, "any200", { amount: bodies.length }),
    ]);
    return {
      requests: bodies.length,
      capacity,
      outcomes: burst.outcomes,
      retryAfter: burst.retryAfter,
      ok: burst.latency,
      probeIdle: idle.latency,
      probeDuringBurst: during.latency,
      probeOutcomes: during.outcomes,
    };
  } finally {
    await stopServer(server);
    await model.stop();
  }
}

const describeOutcomes = (outcomes: Record<string, number>) =>
  Object.entries(outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");

export function loadSection(
  rows: Row[],
  burst: BurstFigures,
  servedAs: Record<string, { exact: number; semantic: number; warm: number; paraphrases: number }>,
  settings: { seconds: number; missShare: number; modelDelay: number },
): string {
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  const target = (row: Row) => {
    if (row.kind !== "exact" || row.connections !== 10 || !row.topology.startsWith("1 instance, in-memory")) return "";
    const f = row.figures;
    return `p95 <= 5 ms: ${verdict(f.latency.p95 <= 5)}; >= 1000 req/s: ${verdict(f.requestsPerSecond >= 1000)}`;
  };
  const fiveHundreds = rows.reduce((sum, r) => sum + Object.entries(r.figures.outcomes).filter(([k]) => /^http 5/.test(k)).reduce((s, [, v]) => s + v, 0), 0);
  const burst5xx = Object.entries(burst.outcomes).filter(([k]) => /^http 5/.test(k) && k !== "http 503").reduce((s, [, v]) => s + v, 0);
  const burstOther = Object.entries(burst.outcomes).filter(([k]) => !["http 503", "miss", "uncached"].includes(k)).reduce((s, [, v]) => s + v, 0);
  const ok = (burst.outcomes.miss ?? 0) + (burst.outcomes.uncached ?? 0);
  const shed = burst.outcomes["http 503"] ?? 0;
  return [
    "## Cache, instances and bursts (issue 15; `npm run bench:load`)",
    "",
    `Command: \`npm run bench:load\` (${new Date().toISOString()}, commit ${commitId()}, Node ${process.version}, ${cpus().length} cores shared by the servers, Redis and autocannon). Each server is \`server/main.ts\` in its own process with \`npm start\`'s heap cap, logging at the default level to a file; autocannon runs in the bench's process. Offline answerer (no LLM), index of the four sources, authentication off, rate limits on (in Redis for the Redis rows) with a ceiling no client reaches.`,
    "",
    `The cache is first warmed with the dev questions and the anchors of \`cache-pairs-fresh\`; **exact** replays the warmed questions that come back \`"cache": "exact"\` on the last instance, **semantic** the held-out paraphrases that come back \`"semantic"\`, **miss** sends questions asked nowhere before, each once (${settings.missShare} per connection count). Timed rows run ${settings.seconds} s. Every response is classified by its \`cache\` field; the percentiles are those of the row's kind, the other outcomes are counted. With two instances the connections are split between them (the 1-connection row gives each instance one).`,
    "",
    "| instances | kind | connections | responses of the kind | p50 ms | p95 ms | p99 ms | req/s | other outcomes | target |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => {
      const f = r.figures;
      const others = Object.fromEntries(Object.entries(f.outcomes).filter(([k]) => k !== r.kind));
      return `| ${r.topology} | ${r.kind} | ${r.connections} | ${f.latency.n} | ${fmt(f.latency.p50)} | ${fmt(f.latency.p95)} | ${fmt(f.latency.p99)} | ${fmt(f.requestsPerSecond, 0)} | ${describeOutcomes(others) || "none"} | ${target(r)} |`;
    }),
    "",
    ...Object.entries(servedAs).map(
      ([label, s]) => `- ${label}: ${s.exact} of ${s.warm} warmed questions come back exact (the rest are refused or carry personal data: never cached); ${s.semantic} of ${s.paraphrases} held-out paraphrases come back semantic.`,
    ),
    `- 5xx over all the rows above: ${fiveHundreds} (target 0).`,
    "",
    `### A burst at three times the queue's capacity`,
    "",
    `One instance (in-memory cache) answering through the scripted OpenAI-compatible server (its own process, ${settings.modelDelay} ms per completion), \`GUICHET_LLM_CONCURRENCY=${BURST_CONCURRENCY}\`, \`GUICHET_LLM_QUEUE=${BURST_QUEUE}\`: ${burst.requests} distinct uncached questions on ${burst.requests} connections at once (3 × ${burst.capacity}). Meanwhile one connection asks a cached question again and again.`,
    "",
    "| figure | value | target |",
    "|---|---|---|",
    `| 200 answers | ${ok} | |`,
    `| 503 shed (with Retry-After >= 1 s) | ${shed} (${burst.retryAfter}) | every 503 with Retry-After: ${verdict(burst.retryAfter === shed)} |`,
    `| any other outcome | ${burstOther}${burstOther > 0 ? ` (${describeOutcomes(Object.fromEntries(Object.entries(burst.outcomes).filter(([k]) => !["http 503", "miss", "uncached"].includes(k))))})` : ""} | 0: ${verdict(burstOther === 0 && burst5xx === 0)} |`,
    `| p50 / p95 of the 200s | ${fmt(burst.ok.p50)} / ${fmt(burst.ok.p95)} ms | |`,
    `| cached probe alone, p50 / p95 | ${fmt(burst.probeIdle.p50)} / ${fmt(burst.probeIdle.p95)} ms (${burst.probeIdle.n} requests) | |`,
    `| cached probe during the burst, p50 / p95 | ${fmt(burst.probeDuringBurst.p50)} / ${fmt(burst.probeDuringBurst.p95)} ms (${burst.probeDuringBurst.n} requests; ${describeOutcomes(burst.probeOutcomes)}) | never waits behind LLM work |`,
    "",
  ].join("\n");
}

if (process.argv[1]?.endsWith("bench/load-bench.ts")) await runMain(loadBenchMain);
