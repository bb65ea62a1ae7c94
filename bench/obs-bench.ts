import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { loadDataset } from "../evals/dataset.js";
import { freePort } from "../test/helpers/instances.js";
import { load, stopServer, type LoadFigures } from "./load-bench.js";
import { commitId, replaceSection } from "./retrieval-bench.js";
import { SERVER_HEAP_MB, waitForHealth } from "./run-bench.js";
import { fmt } from "./stats.js";

/**
 * `npm run bench:obs`: the cost of instrumentation. The real server, started as `npm start` starts it, with
 * tracing and metrics off, then on (spans exported to a local OTLP/HTTP receiver, /metrics scraped every second),
 * alternately for a few rounds, under the same autocannon load on POST /invoke.
 */

export const OBS_MARKERS = { start: "<!-- obs-bench:start -->", end: "<!-- obs-bench:end -->" };
export const TARGET_PCT = 5;
/** Above this share of failed requests (non-2xx, connection errors, timeouts) a configuration's figures are void. */
export const MAX_ERROR_RATE = 0.01;
export const DATASET = "evals/datasets/dev.jsonl";
export const QUESTION_COUNT = 30;
const SCRAPE_EVERY_MS = 1_000;
const START_TIMEOUT_MS = 300_000;
const OUTPUT_KEPT = 8_000;
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export type Mode = "off" | "on";
export const MODES: Mode[] = ["off", "on"];
const LABEL: Record<Mode, string> = { off: "OFF", on: "ON" };

export interface Settings {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
}

/** What the local OTLP/HTTP receiver has taken in so far. */
export interface ReceiverCounts {
  /** POST /v1/traces requests (one per exported batch of spans). */
  exports: number;
  /** Body bytes of those requests. */
  bytes: number;
  /** Any other request (answered 404). */
  other: number;
}

export interface Receiver {
  url: string;
  counts(): ReceiverCounts;
  close(): Promise<void>;
}

/** A plain node:http OTLP/HTTP trace receiver on 127.0.0.1: 200 `{}` to POST /v1/traces, counted. */
export async function startReceiver(): Promise<Receiver> {
  const counts: ReceiverCounts = { exports: 0, bytes: 0, other: 0 };
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      if (req.method === "POST" && req.url?.split("?")[0] === "/v1/traces") {
        counts.exports++;
        counts.bytes += bytes;
        res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      } else {
        counts.other++;
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ ...counts }),
    close: () =>
      (closing ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      })),
  };
}

/**
 * The server's environment in a configuration: the caller's (sources, index folder…) without any OTEL_*
 * variable, the LLM left out (offline answers: the model's latency would drown the figures), then the
 * configuration's own variables.
 */
export function serverEnv(base: NodeJS.ProcessEnv, mode: Mode, receiverUrl: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = Object.fromEntries(Object.entries(base).filter(([key]) => !key.startsWith("OTEL_")));
  return {
    ...env,
    OPENAI_API_KEY: undefined,
    OPENAI_BASE_URL: undefined,
    GUICHET_AUTH: "off",
    GUICHET_RATE_LIMIT_PER_MINUTE: "1000000",
    GUICHET_CACHE: "off",
    GUICHET_THREADS: "off",
    LOG_LEVEL: "warn",
    ...(mode === "on"
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_TRACES_SAMPLER: "always_on", GUICHET_METRICS: "true" }
      : { GUICHET_METRICS: "false" }),
  };
}

export interface ObsServer {
  url: string;
  child: ChildProcess;
  /** The last few kilobytes the server wrote (standard output and error). */
  output(): string;
}

/**
 * `server/main.ts` with the OpenTelemetry preload, as `npm start` runs it (`tsx --import ./server/instrument.ts`,
 * `npm start`'s heap cap), on a free port; `children` holds it until it exits.
 */
export async function startObsServer(env: Record<string, string | undefined>, label: string, children: Set<ChildProcess>): Promise<ObsServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${SERVER_HEAP_MB}`, "--import", "tsx", "--import", "./server/instrument.ts", join("server", "main.ts")],
    { cwd: REPO, env: { ...env, HOST: "127.0.0.1", PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const server: ObsServer = { url: `http://127.0.0.1:${port}`, child, output: () => output };
  try {
    await waitForHealth(server.url, child, START_TIMEOUT_MS);
  } catch (error) {
    await stopServer(server);
    throw new Error(`the ${label} server did not start: ${(error as Error).message}\n--- its last output ---\n${output.trim() || "(none)"}`, { cause: error });
  }
  return server;
}

/** GET /metrics every `everyMs` (as Prometheus would), with the metrics token when one is configured. */
export function startScraper(url: string, token: string | undefined, everyMs = SCRAPE_EVERY_MS): { stop(): Promise<{ ok: number; failed: number }> } {
  let ok = 0;
  let failed = 0;
  let stopped = false;
  let wake = () => {};
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const res = await fetch(`${url}/metrics`, { headers });
        await res.text();
        if (res.ok) ok++;
        else failed++;
      } catch {
        failed++;
      }
      if (stopped) break;
      await new Promise<void>((done) => {
        const timer = setTimeout(done, Math.max(0, everyMs - (Date.now() - started)));
        wake = () => {
          clearTimeout(timer);
          done();
        };
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      return { ok, failed };
    },
  };
}

/** The figures of one configuration in one round. */
export interface RunFigures {
  mode: Mode;
  round: number;
  /** Requests sent in the measured window (responses, connection errors and timeouts). */
  requests: number;
  /** Non-2xx responses, connection errors and timeouts. */
  errors: number;
  requestsPerSecond: number;
  /** Latencies of the 200s, nearest rank. */
  p50: number;
  p95: number;
  p99: number;
  /** Span export requests the receiver got from this server, from its start to its exit (the final flush included). */
  exports: number;
  exportBytes: number;
  scrapes: number;
  scrapeFailures: number;
}

/** Errors among autocannon's outcomes: every status but 200, and the connection errors and timeouts. */
export function countErrors(outcomes: LoadFigures["outcomes"]): number {
  return Object.entries(outcomes)
    .filter(([kind]) => kind === "error" || kind.startsWith("http "))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** One configuration in one round: a fresh server, the warm-up, the measured load, the server stopped. */
export async function runConfiguration(
  mode: Mode,
  round: number,
  env: Record<string, string | undefined>,
  receiver: Receiver,
  settings: Settings,
  bodies: string[],
  children: Set<ChildProcess>,
  log: (message: string) => void,
): Promise<RunFigures> {
  const before = receiver.counts();
  log(`round ${round}, ${LABEL[mode]}: starting the server...`);
  const server = await startObsServer(env, LABEL[mode], children);
  let figures: LoadFigures;
  let scrapes = { ok: 0, failed: 0 };
  try {
    const scraper = mode === "on" ? startScraper(server.url, env.GUICHET_METRICS_TOKEN) : undefined;
    try {
      log(`round ${round}, ${LABEL[mode]}: ${settings.warmup} s warm-up, then ${settings.duration} s measured at ${settings.connections} connection(s)...`);
      if (settings.warmup > 0) await load([server.url], bodies, settings.connections, "any200", { seconds: settings.warmup });
      figures = await load([server.url], bodies, settings.connections, "any200", { seconds: settings.duration });
    } finally {
      if (scraper) scrapes = await scraper.stop();
    }
  } finally {
    // A graceful stop: the SDK flushes the spans it still holds to the receiver before the process exits.
    await stopServer(server);
  }
  const after = receiver.counts();
  return {
    mode,
    round,
    requests: Object.values(figures.outcomes).reduce((sum, n) => sum + n, 0),
    errors: countErrors(figures.outcomes),
    requestsPerSecond: figures.requestsPerSecond,
    p50: figures.latency.p50,
    p95: figures.latency.p95,
    p99: figures.latency.p99,
    exports: after.exports - before.exports,
    exportBytes: after.bytes - before.bytes,
    scrapes: scrapes.ok,
    scrapeFailures: scrapes.failed,
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A configuration over the rounds: the median of each figure, and the totals that judge its errors. */
export interface ConfigFigures {
  mode: Mode;
  rounds: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  exports: number;
  exportBytes: number;
  scrapes: number;
  totalRequests: number;
  totalErrors: number;
}

export function aggregate(runs: RunFigures[], mode: Mode): ConfigFigures {
  const mine = runs.filter((r) => r.mode === mode);
  const med = (pick: (r: RunFigures) => number) => median(mine.map(pick));
  return {
    mode,
    rounds: mine.length,
    requestsPerSecond: med((r) => r.requestsPerSecond),
    p50: med((r) => r.p50),
    p95: med((r) => r.p95),
    p99: med((r) => r.p99),
    errors: med((r) => r.errors),
    exports: med((r) => r.exports),
    exportBytes: med((r) => r.exportBytes),
    scrapes: med((r) => r.scrapes),
    totalRequests: mine.reduce((sum, r) => sum + r.requests, 0),
    totalErrors: mine.reduce((sum, r) => sum + r.errors, 0),
  };
}

export interface Overhead {
  /** (ON p95 − OFF p95) / OFF p95, in %. */
  p95Pct: number;
  /** (OFF req/s − ON req/s) / OFF req/s, in %. */
  rpsPct: number;
  met: boolean;
}

export function overhead(off: Pick<ConfigFigures, "p95" | "requestsPerSecond">, on: Pick<ConfigFigures, "p95" | "requestsPerSecond">, targetPct = TARGET_PCT): Overhead {
  const ratio = (num: number, den: number) => (den > 0 && Number.isFinite(num) ? (100 * num) / den : Number.NaN);
  const p95Pct = ratio(on.p95 - off.p95, off.p95);
  const rpsPct = ratio(off.requestsPerSecond - on.requestsPerSecond, off.requestsPerSecond);
  return { p95Pct, rpsPct, met: p95Pct <= targetPct && rpsPct <= targetPct };
}

/**
 * The overhead of each round (its ON against its OFF, run one after the other), then the median over the rounds:
 * on a shared machine whose speed drifts from minute to minute, pairs cancel the drift that medians of each
 * configuration keep.
 */
export function pairedOverhead(runs: RunFigures[], targetPct = TARGET_PCT): Overhead {
  const rounds = [...new Set(runs.map((r) => r.round))];
  const pairs = rounds
    .map((round) => [runs.find((r) => r.round === round && r.mode === "off"), runs.find((r) => r.round === round && r.mode === "on")] as const)
    .filter((pair): pair is readonly [RunFigures, RunFigures] => pair[0] !== undefined && pair[1] !== undefined)
    .map(([off, on]) => overhead(off, on, targetPct));
  const p95Pct = median(pairs.map((o) => o.p95Pct));
  const rpsPct = median(pairs.map((o) => o.rpsPct));
  return { p95Pct, rpsPct, met: p95Pct <= targetPct && rpsPct <= targetPct };
}

/** A configuration's failed share, or a message when it is above `MAX_ERROR_RATE` (or it served nothing). */
export function errorProblem(figures: ConfigFigures): string | undefined {
  if (figures.totalRequests === 0) return `the ${LABEL[figures.mode]} configuration served no request`;
  const rate = figures.totalErrors / figures.totalRequests;
  if (rate <= MAX_ERROR_RATE) return undefined;
  return `the ${LABEL[figures.mode]} configuration had ${fmt(100 * rate, 1)} % errors (${figures.totalErrors} of ${figures.totalRequests} requests), above ${100 * MAX_ERROR_RATE} %: its figures are void`;
}

const pct = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? "+" : "−"}${fmt(Math.abs(value), 1)} %` : "n/a");
const verdict = (value: number, targetPct = TARGET_PCT) => (value <= targetPct ? "met" : "**missed**");
const kib = (bytes: number) => fmt(bytes / 1024, 0);

/** The markdown table: one row per configuration (medians over the rounds), then the overhead against the target. */
export function obsTable(off: ConfigFigures, on: ConfigFigures, runs: RunFigures[] = []): string[] {
  const o = overhead(off, on);
  const paired = pairedOverhead(runs);
  const row = (c: ConfigFigures, what: string) =>
    `| ${LABEL[c.mode]}: ${what} | ${fmt(c.requestsPerSecond, 1)} | ${fmt(c.p50)} | ${fmt(c.p95)} | ${fmt(c.p99)} | ${fmt(c.errors, 0)} | ${c.mode === "on" ? `${fmt(c.exports, 0)} (${kib(c.exportBytes)} KiB)` : fmt(c.exports, 0)} | ${c.mode === "on" ? fmt(c.scrapes, 0) : "—"} |`;
  return [
    "| configuration | req/s | p50 ms | p95 ms | p99 ms | errors | span export requests received | /metrics scrapes |",
    "|---|---|---|---|---|---|---|---|",
    row(off, "no tracing, metrics off"),
    row(on, "traces exported (always_on), metrics scraped every 1 s"),
    "",
    `Overhead of ON over OFF: p95 ${pct(o.p95Pct)} (target ≤ ${TARGET_PCT} %: ${verdict(o.p95Pct)}), throughput ${pct(-o.rpsPct)} (a loss of at most ${TARGET_PCT} %: ${verdict(o.rpsPct)}).`,
    ...(runs.length > 0
      ? [
          "",
          `Paired by round (each round's ON against its OFF, median over the rounds): p95 ${pct(paired.p95Pct)} (${verdict(paired.p95Pct)}), throughput ${pct(-paired.rpsPct)} (${verdict(paired.rpsPct)}).`,
        ]
      : []),
  ];
}

/** Every configuration of every round, in the order they ran. */
export function roundsTable(runs: RunFigures[]): string[] {
  return [
    "| round | configuration | requests | req/s | p50 ms | p95 ms | p99 ms | errors | span export requests | scrapes |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...runs.map(
      (r) =>
        `| ${r.round} | ${LABEL[r.mode]} | ${r.requests} | ${fmt(r.requestsPerSecond, 1)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${r.errors} | ${r.exports} | ${r.mode === "on" ? r.scrapes : "—"} |`,
    ),
  ];
}

export function commandLine(settings: Settings): string {
  return `npm run bench:obs -- --duration ${settings.duration} --warmup ${settings.warmup} --connections ${settings.connections} --rounds ${settings.rounds} --write`;
}

/** The index the servers loaded, from its manifest. */
function describeIndex(env: NodeJS.ProcessEnv): string {
  const dir = env.GUICHET_INDEX_DIR ?? "data/index";
  try {
    const manifest = JSON.parse(readFileSync(join(resolve(REPO, dir), "manifest.json"), "utf8")) as {
      sources: { location: string }[];
      counts: { fiches: number; chunks: number };
    };
    return `${manifest.sources.map((s) => s.location).join(" + ")} (${manifest.counts.fiches} fiches, ${manifest.counts.chunks} chunks)`;
  } catch {
    return `the index in \`${dir}\``;
  }
}

export interface ObsResult {
  settings: Settings;
  questions: number;
  runs: RunFigures[];
  off: ConfigFigures;
  on: ConfigFigures;
  overhead: Overhead;
  /** The same, paired by round (pairedOverhead). */
  paired: Overhead;
}

/** The docs/benchmarks.md section: machine, settings, command, then the tables. */
export function obsSection(result: ObsResult, index: string): string {
  const { settings } = result;
  return [
    "## Cost of tracing and metrics (`npm run bench:obs`)",
    "",
    `Command: \`${commandLine(settings)}\` (${new Date().toISOString()}, commit ${commitId()}, Node ${process.version}, ${cpus().length} cores shared by the server, the receiver, the scraper and autocannon; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(", ")}).`,
    "",
    `Each configuration of each round is a fresh server started as \`npm start\` starts it (\`tsx --import ./server/instrument.ts server/main.ts\`, heap cap ${SERVER_HEAP_MB} MB) on ${index}, with \`GUICHET_AUTH=off\`, \`GUICHET_CACHE=off\` (every request runs the whole graph), \`GUICHET_THREADS=off\`, \`LOG_LEVEL=warn\`, the offline answerer (no LLM) and a rate limit no client reaches.`,
    "",
    "- **OFF**: no `OTEL_*` variable, `GUICHET_METRICS=false`.",
    "- **ON**: `OTEL_EXPORTER_OTLP_ENDPOINT` on a local OTLP/HTTP receiver (node:http in the bench's process, 200 `{}` to every `POST /v1/traces`), `OTEL_TRACES_SAMPLER=always_on`, the SDK's default batching; `GUICHET_METRICS=true` and `GET /metrics` scraped every 1 s during the load, as Prometheus would. Span exports are counted from the server's start to its exit (the final flush included).",
    "",
    `Load: autocannon on \`POST /invoke\`, ${result.questions} French questions of \`${DATASET}\` in rotation, ${settings.connections} connection(s), ${settings.warmup} s of warm-up (not measured) then ${settings.duration} s measured; ${settings.rounds} round(s) in the order OFF, ON, OFF, ON … so that drift hits both sides. Each figure below is the median over the rounds; latencies are those of the 200s (nearest rank); errors are non-2xx responses, connection errors and timeouts.`,
    "",
    ...obsTable(result.off, result.on, result.runs),
    "",
    "Per round:",
    "",
    ...roundsTable(result.runs),
    "",
  ].join("\n");
}

/** Rewrites the obs-bench section of `file` between its markers (appended at the end when absent); the rest is kept. */
export function writeObsSection(file: string, section: string): void {
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "";
  writeFileSync(file, replaceSection(existing, section, OBS_MARKERS));
}

/** Up to `count` distinct in-scope French questions of the dataset. */
export function benchQuestions(dataset = DATASET, count = QUESTION_COUNT): string[] {
  const questions = loadDataset(resolve(REPO, dataset))
    .filter((item) => item.lang === "fr" && item.gold.length > 0)
    .map((item) => item.question);
  return [...new Set(questions)].slice(0, count);
}

function checked(name: string, value: number, integer: boolean, min: number): number {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name}: ${integer ? "an integer" : "a number"} >= ${min} expected, got ${value}`);
  }
  return value;
}

/** Kills the servers still running when the bench is interrupted or exits; gives the function that removes the hooks. */
function guardChildren(children: Set<ChildProcess>, receiver: Receiver): () => void {
  const killAll = () => {
    for (const child of children) child.kill("SIGKILL");
  };
  const onSignal = () => {
    killAll();
    void receiver.close().finally(() => process.exit(130));
  };
  process.on("exit", killAll);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return () => {
    process.off("exit", killAll);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

/** `npm run bench:obs`. */
export async function obsBenchMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("bench:obs")
    .description("/invoke throughput and latency with tracing and metrics off, then on (exporting to a local receiver)")
    .option("--duration <s>", "measured seconds per configuration and round", (v) => Number(v), 20)
    .option("--warmup <s>", "warm-up seconds before each measure (not measured)", (v) => Number(v), 5)
    .option("--connections <n>", "autocannon connections", (v) => Number(v), 8)
    .option("--rounds <n>", "rounds of OFF then ON", (v) => Number(v), 2)
    .option("--write", "rewrite the obs-bench section of --out", false)
    .option("--out <file>", "markdown file of --write", "docs/benchmarks.md")
    .option("--json", "print the figures as JSON instead of the markdown section", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<Settings & { write: boolean; out: string; json: boolean }>();
  const settings: Settings = {
    duration: checked("duration", opts.duration, false, 1),
    warmup: checked("warmup", opts.warmup, false, 0),
    connections: checked("connections", opts.connections, true, 1),
    rounds: checked("rounds", opts.rounds, true, 1),
  };
  const log = (message: string) => void writeLine(io.stderr, `bench:obs: ${message}`);
  const questions = benchQuestions();
  const bodies = questions.map((question) => JSON.stringify({ question }));

  const receiver = await startReceiver();
  const children = new Set<ChildProcess>();
  const unguard = guardChildren(children, receiver);
  const runs: RunFigures[] = [];
  try {
    for (let round = 1; round <= settings.rounds; round++) {
      for (const mode of MODES) {
        runs.push(await runConfiguration(mode, round, serverEnv(io.env, mode, receiver.url), receiver, settings, bodies, children, log));
      }
    }
  } catch (error) {
    await writeLine(io.stderr, `bench:obs: ${(error as Error).message}`);
    return 1;
  } finally {
    for (const child of children) child.kill("SIGKILL");
    unguard();
    await receiver.close();
  }

  const off = aggregate(runs, "off");
  const on = aggregate(runs, "on");
  const result: ObsResult = { settings, questions: questions.length, runs, off, on, overhead: overhead(off, on), paired: pairedOverhead(runs) };
  const section = obsSection(result, describeIndex(io.env));
  await writeLine(io.stdout, opts.json ? JSON.stringify(result, null, 2) : section);
  const problems = [errorProblem(off), errorProblem(on)].filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    for (const problem of problems) await writeLine(io.stderr, `bench:obs: ${problem}${opts.write ? `; ${opts.out} left as it was` : ""}`);
    return 1;
  }
  if (opts.write) {
    writeObsSection(opts.out, section);
    log(`section written to ${opts.out}`);
  }
  return 0;
}

if (process.argv[1]?.endsWith("bench/obs-bench.ts")) await runMain(obsBenchMain);
