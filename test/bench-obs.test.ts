import { memoryIo } from "./helpers/io.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  aggregate,
  benchQuestions,
  commandLine,
  countErrors,
  errorProblem,
  median,
  OBS_MARKERS,
  obsBenchMain,
  obsTable,
  overhead,
  pairedOverhead,
  serverEnv,
  startReceiver,
  startScraper,
  writeObsSection,
  type ConfigFigures,
  type ObsResult,
  type RunFigures,
} from "../bench/obs-bench.js";
import type { CliIo } from "../cli/io.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

const run = (mode: "off" | "on", round: number, requestsPerSecond: number, p95: number, extra: Partial<RunFigures> = {}): RunFigures => ({
  mode,
  round,
  requests: 1000,
  errors: 0,
  requestsPerSecond,
  p50: p95 / 2,
  p95,
  p99: p95 * 2,
  exports: mode === "on" ? 10 : 0,
  exportBytes: mode === "on" ? 10_240 : 0,
  scrapes: mode === "on" ? 20 : 0,
  scrapeFailures: 0,
  ...extra,
});

const figures = (mode: "off" | "on", requestsPerSecond: number, p95: number, extra: Partial<ConfigFigures> = {}): ConfigFigures => ({
  mode,
  rounds: 2,
  requestsPerSecond,
  p50: 10,
  p95,
  p99: 60,
  errors: 0,
  exports: mode === "on" ? 12 : 0,
  exportBytes: mode === "on" ? 2048 : 0,
  scrapes: mode === "on" ? 20 : 0,
  totalRequests: 2000,
  totalErrors: 0,
  ...extra,
});

function captureIo(env: NodeJS.ProcessEnv): { io: CliIo; out: () => string; err: () => string } {
  const io = memoryIo(env);
  return { io, out: io.out, err: io.err };
}

/** The 3.5 fixtures (12 fiches), indexed by the first server into a folder of the test's own. */
const fixtureEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  GUICHET_SOURCE: "vdd-xml",
  GUICHET_SOURCE_PATH: FIXTURES_35,
  GUICHET_SOURCES: undefined,
  GUICHET_INDEX_DIR: join(tempDir("guichet-obs-index-"), "index"),
  GUICHET_FREEDICT_DIR: "off",
  GUICHET_REDIS_URL: undefined,
  ...extra,
});

describe("npm run bench:obs, its pure parts", () => {
  it("takes medians over rounds and the overhead against the 5 % target", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    // p95: (42 − 40) / 40 = 5 % (met); req/s: (200 − 188) / 200 = 6 % (missed).
    expect(overhead({ p95: 40, requestsPerSecond: 200 }, { p95: 42, requestsPerSecond: 188 })).toEqual({ p95Pct: 5, rpsPct: 6, met: false });
    // p95: (38 − 40) / 40 = −5 %; req/s: (200 − 210) / 200 = −5 %: ON faster, met.
    expect(overhead({ p95: 40, requestsPerSecond: 200 }, { p95: 38, requestsPerSecond: 210 })).toEqual({ p95Pct: -5, rpsPct: -5, met: true });
    // Paired by round: round 1 costs 10 % of throughput, round 2 none, round 3 20 %: the median pair says 10 %.
    const run = (round: number, mode: "off" | "on", requestsPerSecond: number, p95: number): RunFigures => ({
      mode, round, requests: 100, errors: 0, requestsPerSecond, p50: 1, p95, p99: p95, exports: 0, exportBytes: 0, scrapes: 0, scrapeFailures: 0,
    });
    const rounds = [run(1, "off", 100, 10), run(1, "on", 90, 10.5), run(2, "off", 80, 10), run(2, "on", 80, 10), run(3, "off", 100, 10), run(3, "on", 80, 12)];
    expect(pairedOverhead(rounds)).toEqual({ p95Pct: 5, rpsPct: 10, met: false });
    const none = overhead({ p95: Number.NaN, requestsPerSecond: 0 }, { p95: 10, requestsPerSecond: 10 });
    expect(none.p95Pct).toBeNaN();
    expect(none.rpsPct).toBeNaN();
    expect(none.met).toBe(false);
  });

  it("aggregates the rounds of a configuration and judges its errors", () => {
    const runs = [run("off", 1, 100, 40), run("on", 1, 90, 50), run("off", 2, 120, 44, { errors: 3 }), run("on", 2, 96, 54, { errors: 30 })];
    const off = aggregate(runs, "off");
    expect(off).toMatchObject({ rounds: 2, requestsPerSecond: 110, p95: 42, p50: 21, p99: 84, errors: 1.5, exports: 0, totalRequests: 2000, totalErrors: 3 });
    const on = aggregate(runs, "on");
    expect(on).toMatchObject({ requestsPerSecond: 93, p95: 52, exports: 10, scrapes: 20, totalErrors: 30 });
    // 3 of 2000 = 0.15 %: fine; 30 of 2000 = 1.5 %: void.
    expect(errorProblem(off)).toBeUndefined();
    expect(errorProblem(on)).toBe("the ON configuration had 1.5 % errors (30 of 2000 requests), above 1 %: its figures are void");
    expect(errorProblem(figures("off", 0, Number.NaN, { totalRequests: 0 }))).toBe("the OFF configuration served no request");
    expect(errorProblem(figures("on", 1, 1, { totalRequests: 100, totalErrors: 1 }))).toBeUndefined();
    expect(countErrors({ miss: 10, uncached: 5, "http 500": 2, "http 429": 1, error: 4 })).toBe(7);
  });

  it("prints one row per configuration and the overhead with its verdicts", () => {
    const lines = obsTable(figures("off", 200, 40), figures("on", 188, 42));
    expect(lines[0]).toBe("| configuration | req/s | p50 ms | p95 ms | p99 ms | errors | span export requests received | /metrics scrapes |");
    expect(lines).toContain("| OFF: no tracing, metrics off | 200.0 | 10.00 | 40.00 | 60.00 | 0 | 0 | — |");
    expect(lines).toContain("| ON: traces exported (always_on), metrics scraped every 1 s | 188.0 | 10.00 | 42.00 | 60.00 | 0 | 12 (2 KiB) | 20 |");
    expect(lines.at(-1)).toBe("Overhead of ON over OFF: p95 +5.0 % (target ≤ 5 %: met), throughput −6.0 % (a loss of at most 5 %: **missed**).");
    expect(commandLine({ duration: 20, warmup: 5, connections: 8, rounds: 2 })).toBe("npm run bench:obs -- --duration 20 --warmup 5 --connections 8 --rounds 2 --write");
  });

  it("replaces only what lies between the markers, or appends them", () => {
    const dir = tempDir("guichet-obs-doc-");
    const file = join(dir, "benchmarks.md");
    writeFileSync(file, `# Benchmarks\n\nbefore\n${OBS_MARKERS.start}\nold figures\n${OBS_MARKERS.end}\nafter\n`);
    writeObsSection(file, "new figures\n");
    expect(readFileSync(file, "utf8")).toBe(`# Benchmarks\n\nbefore\n${OBS_MARKERS.start}\nnew figures\n${OBS_MARKERS.end}\nafter\n`);
    writeFileSync(file, "# Benchmarks\n");
    writeObsSection(file, "figures");
    expect(readFileSync(file, "utf8")).toBe(`# Benchmarks\n\n${OBS_MARKERS.start}\nfigures\n${OBS_MARKERS.end}\n`);
    const fresh = join(dir, "new.md");
    writeObsSection(fresh, "figures");
    expect(readFileSync(fresh, "utf8")).toBe(`${OBS_MARKERS.start}\nfigures\n${OBS_MARKERS.end}\n`);
  });

  it("gives each configuration its variables, without the caller's OTEL_* ones", () => {
    const base = { PATH: "/bin", GUICHET_INDEX_DIR: "data/x", OTEL_TRACES_EXPORTER: "console", OPENAI_API_KEY: "sk-x", GUICHET_CACHE: "memory" };
    const off = serverEnv(base, "off", "http://127.0.0.1:1");
    expect(Object.keys(off).filter((k) => k.startsWith("OTEL_"))).toEqual([]);
    expect(off).toMatchObject({ PATH: "/bin", GUICHET_INDEX_DIR: "data/x", GUICHET_METRICS: "false", GUICHET_CACHE: "off", GUICHET_AUTH: "off", LOG_LEVEL: "warn", GUICHET_RATE_LIMIT_PER_MINUTE: "1000000" });
    expect(off.OPENAI_API_KEY).toBeUndefined();
    const on = serverEnv(base, "on", "http://127.0.0.1:1");
    expect(on).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1", OTEL_TRACES_SAMPLER: "always_on", GUICHET_METRICS: "true" });
    expect(on.OTEL_TRACES_EXPORTER).toBeUndefined();
    const questions = benchQuestions();
    expect(questions).toHaveLength(30);
    expect(new Set(questions).size).toBe(30);
  });

  it("receives OTLP exports and scrapes /metrics, counting both", async () => {
    const receiver = await startReceiver();
    try {
      const posted = await fetch(`${receiver.url}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: "12345" });
      expect(posted.status).toBe(200);
      expect(await posted.text()).toBe("{}");
      expect((await fetch(`${receiver.url}/v1/metrics`, { method: "POST", body: "1" })).status).toBe(404);
      expect(receiver.counts()).toEqual({ exports: 1, bytes: 5, other: 1 });
    } finally {
      await receiver.close();
    }

    let served = 0;
    let authorization: string | undefined;
    const metrics = createServer((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(served++ < 2 ? 200 : 500).end("# metrics\n");
    });
    await new Promise<void>((done) => metrics.listen(0, "127.0.0.1", done));
    try {
      const scraper = startScraper(`http://127.0.0.1:${(metrics.address() as AddressInfo).port}`, "a-token-of-16-chars", 40);
      await new Promise((r) => setTimeout(r, 300));
      const done = await scraper.stop();
      expect(done.ok).toBe(2);
      expect(done.failed).toBeGreaterThan(0);
      expect(authorization).toBe("Bearer a-token-of-16-chars");
      const dead = startScraper("http://127.0.0.1:1", undefined, 10);
      await new Promise((r) => setTimeout(r, 50));
      expect((await dead.stop()).ok).toBe(0);
    } finally {
      metrics.close();
    }
  });

  it("refuses bad flags", async () => {
    const { io } = captureIo({});
    await expect(obsBenchMain(["--rounds", "0"], io)).rejects.toThrow("--rounds: an integer >= 1 expected, got 0");
    await expect(obsBenchMain(["--duration", "x"], io)).rejects.toThrow("--duration");
  });
});

describe("npm run bench:obs, the real servers on a tiny scale", () => {
  it("measures OFF then ON, the receiver and scraper counting, and writes only its section", async () => {
    const dir = tempDir("guichet-obs-run-");
    const doc = join(dir, "benchmarks.md");
    // The page as it would be without this bench's section: the run must append it and keep the rest.
    const page = readFileSync("docs/benchmarks.md", "utf8");
    const at = page.indexOf(OBS_MARKERS.start);
    const original = at < 0 ? page : page.slice(0, at) + page.slice(page.indexOf(OBS_MARKERS.end) + OBS_MARKERS.end.length + 1);
    writeFileSync(doc, original);
    const { io, out, err } = captureIo(fixtureEnv());
    const code = await obsBenchMain(["--duration", "2", "--warmup", "1", "--rounds", "1", "--connections", "2", "--write", "--out", doc, "--json"], io);
    expect(err()).not.toContain("did not start");
    expect(code).toBe(0);
    const result = JSON.parse(out()) as ObsResult;
    expect(result.settings).toEqual({ duration: 2, warmup: 1, connections: 2, rounds: 1 });
    expect(result.runs.map((r) => r.mode)).toEqual(["off", "on"]);
    const [off, on] = result.runs as [RunFigures, RunFigures];
    for (const r of [off, on]) {
      expect(r.requests).toBeGreaterThan(10);
      expect(r.errors).toBe(0);
      expect(r.requestsPerSecond).toBeGreaterThan(0);
      expect(r.p95).toBeGreaterThan(0);
      expect(r.p99).toBeGreaterThanOrEqual(r.p95);
    }
    expect(off.exports).toBe(0);
    expect(off.scrapes).toBe(0);
    expect(on.exports).toBeGreaterThanOrEqual(1);
    expect(on.exportBytes).toBeGreaterThan(0);
    expect(on.scrapes).toBeGreaterThan(0);
    expect(on.scrapeFailures).toBe(0);
    expect(result.overhead.p95Pct).toBeCloseTo((100 * (on.p95 - off.p95)) / off.p95, 6);

    const written = readFileSync(doc, "utf8");
    expect(written.startsWith(original)).toBe(true);
    const section = written.slice(written.indexOf(OBS_MARKERS.start));
    expect(section.endsWith(`${OBS_MARKERS.end}\n`)).toBe(true);
    expect(section).toContain("12 fiches");
    expect(section).toMatch(/\| OFF: no tracing, metrics off \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 0 \| 0 \| — \|/);
    expect(section).toMatch(/\| ON: traces exported \(always_on\), metrics scraped every 1 s \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 0 \| [1-9]\d* \(\d+ KiB\) \| [1-9]\d* \|/);
    expect(section).toContain(`Command: \`${commandLine(result.settings)}\``);
    expect(section).toContain(`Node ${process.version}`);

    // A second run replaces the section in place: the rest of the file stays as it was.
    writeObsSection(doc, "replaced");
    expect(readFileSync(doc, "utf8")).toBe(`${written.slice(0, written.indexOf(OBS_MARKERS.start))}${OBS_MARKERS.start}\nreplaced\n${OBS_MARKERS.end}\n`);
  }, 180_000);

  it("exits non-zero with the server's own words when a server fails to start", async () => {
    const dir = tempDir("guichet-obs-fail-");
    const doc = join(dir, "benchmarks.md");
    const { io, err } = captureIo(fixtureEnv({ GUICHET_METRICS_TOKEN: "short" }));
    const code = await obsBenchMain(["--duration", "1", "--warmup", "0", "--rounds", "1", "--write", "--out", doc], io);
    expect(code).toBe(1);
    expect(err()).toContain("bench:obs: the OFF server did not start: server exited with code 2");
    expect(err()).toContain("GUICHET_METRICS_TOKEN");
    expect(existsSync(doc)).toBe(false);
  }, 120_000);
});
