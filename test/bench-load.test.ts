import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { ask, distinct, load, loadBenchMain, loadSection, measureBurst, outcomeOf, startServer, stopServer, type Row } from "../bench/load-bench.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

/** A stand-in for /invoke: the cache layer named in the question, 503 with Retry-After for "shed". */
async function fakeGuichet(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => {
      const question = (JSON.parse(raw || "{}") as { question?: string }).question ?? "";
      if (question === "shed") {
        res.writeHead(503, { "Content-Type": "application/problem+json", "Retry-After": "2" });
        res.end("{}");
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ answer: "…", cache: question }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const bodies = (...questions: string[]) => questions.map((question) => JSON.stringify({ question }));

describe("npm run bench:load, its parts", () => {
  it("reads the cache layer of a response, or its status", () => {
    expect(outcomeOf(200, '{"answer":"x","cache":"semantic","cache_similarity":0.93}')).toBe("semantic");
    expect(outcomeOf(200, '{"answer":"x"}')).toBe("uncached");
    expect(outcomeOf(503, "{}")).toBe("http 503");
    expect(distinct(["Combien coûte un passeport ?", "combien coute un passeport", "Divorce"], new Set(["divorce"]))).toEqual([
      "Combien coûte un passeport ?",
    ]);
  });

  it("classifies every response and times only the row's kind, on one or two instances", async () => {
    const a = await fakeGuichet();
    const b = await fakeGuichet();
    try {
      const timed = await load([a.url], bodies("exact", "miss"), 2, "exact", { seconds: 1 });
      expect(timed.outcomes.exact).toBeGreaterThan(0);
      expect(timed.outcomes.miss).toBeGreaterThan(0);
      expect(timed.latency.n).toBe(timed.outcomes.exact);
      const once = await load([a.url, b.url], bodies("miss", "miss", "shed", "shed"), 2, "miss", { amount: 4 });
      expect(once.outcomes).toEqual({ miss: 2, "http 503": 2 });
      expect(once.retryAfter).toBe(2);
      const any = await load([a.url], bodies("semantic", "uncached"), 1, "any200", { amount: 2 });
      expect(any.latency.n).toBe(2);
    } finally {
      a.server.close();
      b.server.close();
    }
  });

  it("writes the section with its targets and the burst's counts", () => {
    const figures = (p95: number, rps: number, outcomes: Record<string, number>) => ({
      latency: { n: 100, p50: p95 / 2, p95, p99: p95 * 2, max: p95 * 3 },
      requestsPerSecond: rps,
      outcomes,
      retryAfter: 0,
    });
    const rows: Row[] = [
      { topology: "1 instance, in-memory cache", kind: "exact", connections: 10, figures: figures(4, 1200, { exact: 100 }) },
      { topology: "2 instances, one Redis", kind: "miss", connections: 10, figures: figures(90, 60, { miss: 90, semantic: 10, "http 500": 1 }) },
    ];
    const summary = { n: 10, p50: 1, p95: 2, p99: 3, max: 4 };
    const text = loadSection(
      rows,
      { requests: 120, capacity: 40, outcomes: { miss: 50, "http 503": 70 }, retryAfter: 70, ok: summary, probeIdle: summary, probeDuringBurst: summary, probeOutcomes: { exact: 10 } },
      { "1 instance, in-memory cache": { exact: 9, semantic: 3, warm: 10, paraphrases: 5 } },
      { seconds: 10, missShare: 100, modelDelay: 300 },
    );
    expect(text).toContain("p95 <= 5 ms: met; >= 1000 req/s: met");
    expect(text).toContain("http 500 1, semantic 10");
    expect(text).toContain("5xx over all the rows above: 1 (target 0)");
    expect(text).toContain("| 503 shed (with Retry-After >= 1 s) | 70 (70) | every 503 with Retry-After: met |");
    expect(text).toContain("| any other outcome | 0 | 0: met |");
    expect(text).toContain("9 of 10 warmed questions come back exact");
  });

  it("refuses to run without an index", async () => {
    const err = new PassThrough();
    let said = "";
    err.on("data", (chunk: Buffer) => (said += chunk.toString()));
    const code = await loadBenchMain(["--index-dir", tempDir("guichet-no-index-"), "--no-write"], { stdin: new PassThrough(), stdout: new PassThrough(), stderr: err, env: {} });
    expect(code).toBe(2);
    expect(said).toContain("npm run ingest");
  });

  it("starts a real server, asks it, and a burst against the scripted model gets only 200s and 503s with Retry-After", async () => {
    const env = {
      ...process.env,
      OPENAI_API_KEY: undefined,
      GUICHET_SOURCE: "vdd-xml",
      GUICHET_SOURCE_PATH: FIXTURES_35,
      GUICHET_SOURCES: undefined,
      GUICHET_INDEX_DIR: tempDir("guichet-load-index-"),
      GUICHET_FREEDICT_DIR: "off",
      GUICHET_AUTH: "off",
      GUICHET_RATE_LIMIT_PER_MINUTE: "1000000000",
      GUICHET_THREADS: "off",
      GUICHET_FEEDBACK: "off",
      GUICHET_CACHE: "memory",
      GUICHET_REDIS_URL: undefined,
    };
    const logs = tempDir("guichet-load-logs-");
    const server = await startServer(env, `${logs}/server.log`);
    const question = "Comment faire une demande de carte de résident ?";
    const first = await ask(server.url, [question]);
    expect(first.get(question)).toMatch(/^(miss|uncached)$/);
    await stopServer(server);
    await stopServer(server);

    const questions = Array.from({ length: 130 }, (_, i) => `Comment obtenir la carte de séjour numéro ${i} ?`);
    const burst = await measureBurst(env, `${logs}/burst.log`, 200, questions, () => undefined);
    expect(burst.requests).toBe(120);
    const statuses = Object.keys(burst.outcomes);
    expect(statuses.every((s) => ["miss", "uncached", "http 503"].includes(s))).toBe(true);
    expect(burst.retryAfter).toBe(burst.outcomes["http 503"] ?? 0);
    expect(Object.values(burst.outcomes).reduce((a, b) => a + b, 0)).toBe(120);
  }, 120_000);
});
