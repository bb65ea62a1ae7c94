import { randomUUID } from "node:crypto";
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import { createClient } from "redis";
import request from "supertest";
import type { Capabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { rmSync } from "node:fs";
import { createApp } from "../server/app.js";
import { startServer } from "../server/main.js";
import { loadConfig } from "../tools/config.js";
import { createRateLimiter, SharedStoreWithFallback, type RateLimiter } from "../server/rate-limit.js";
import { createLogger } from "../tools/logger.js";
import { authSettings } from "../tools/security-config.js";
import { FIXTURES_35, subsetCapabilities, tempDir } from "./helpers/fixtures.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const graph = buildGraph();
let caps: Capabilities;
const limiters: RateLimiter[] = [];
const prefix = `guichet-test:${randomUUID()}:`;
const redis = createClient({ url: REDIS_URL });

const KEY_A = "gch_rate-limit-test-key-a";
const KEY_B = "gch_rate-limit-test-key-b";
const digest = (key: string) => createHash("sha256").update(key).digest("hex");
const auth = authSettings({
  NODE_ENV: "test",
  GUICHET_API_KEYS: JSON.stringify([
    { name: "a", sha256: digest(KEY_A) },
    { name: "b", sha256: digest(KEY_B), rate_limit_per_minute: 2 },
  ]),
});

function capture(): { logger: Logger; text: () => string } {
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger("info", "guichet", sink), text: () => text };
}

async function limiter(options: { perMinute: number; redisUrl?: string; logger?: Logger }) {
  const made = await createRateLimiter({ prefix, logger: options.logger ?? capture().logger, ...options });
  limiters.push(made);
  return made;
}

function app(rateLimiter: RateLimiter, withAuth = true) {
  return createApp({
    graph,
    capabilities: caps,
    logger: capture().logger,
    maxQuestionLength: 500,
    topK: 10,
    maxPerFiche: 2,
    requestTimeoutMs: 5000,
    version: "0",
    ...(withAuth ? { auth } : {}),
    rateLimiter,
  });
}

const ask = (a: ReturnType<typeof app>, key?: string) => {
  const req = request(a).post("/invoke");
  if (key) req.set("X-API-Key", key);
  return req.send({ question: "Comment obtenir une carte Vitale ?" });
};

beforeAll(async () => {
  caps = subsetCapabilities();
  redis.on("error", () => undefined);
  await redis.connect();
});

afterAll(async () => {
  for (const l of limiters) await l.close();
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
  if (keys.length > 0) await redis.del(keys);
  redis.destroy();
});

describe("rate limits in memory (no Redis configured)", () => {
  it("lets N requests through per key, then answers 429 with a JSON problem and Retry-After", async () => {
    const a = app(await limiter({ perMinute: 3 }));
    for (let i = 1; i <= 3; i++) {
      const res = await ask(a, KEY_A);
      expect(res.status).toBe(200);
      expect(res.headers["ratelimit-policy"]).toMatch(/^"3-per-60s"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/);
      expect(res.headers.ratelimit).toMatch(new RegExp(`^"3-per-60s"; r=${3 - i}; t=\\d+$`));
    }
    const limited = await ask(a, KEY_A);
    expect(limited.status).toBe(429);
    expect(limited.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(60);
    expect(JSON.parse(limited.text)).toMatchObject({
      type: "urn:guichet:problem:rate-limited",
      status: 429,
      detail: expect.stringMatching(/^at most 3 requests per minute for this caller; retry in \d+ s$/),
    });
    // Another key has its own budget; a key's own limit wins over the global one.
    expect((await ask(a, KEY_B)).status).toBe(200);
    expect((await ask(a, KEY_B)).status).toBe(200);
    expect((await ask(a, KEY_B)).status).toBe(429);
  });

  it("limits anonymous callers by IP when authentication is off, and leaves /health alone", async () => {
    const a = app(await limiter({ perMinute: 2 }), false);
    expect((await ask(a)).status).toBe(200);
    expect((await ask(a)).status).toBe(200);
    expect((await ask(a)).status).toBe(429);
    expect((await request(a).get("/health")).status).toBe(200);
  });

  it("reports the store on /health", async () => {
    const res = await request(app(await limiter({ perMinute: 2 }))).get("/health");
    expect(res.body).toMatchObject({ status: "ok", rate_limit: { store: "memory", shared: false, degraded: false } });
  });
});

describe("rate limits in Redis", () => {
  it("are shared by two app instances with their own Redis clients", async () => {
    const one = app(await limiter({ perMinute: 4, redisUrl: REDIS_URL }));
    const two = app(await limiter({ perMinute: 4, redisUrl: REDIS_URL }));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask(i % 2 === 0 ? one : two, KEY_A)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const stored = await redis.get(`${prefix}key:a`);
    expect(Number(stored)).toBe(6);
    expect((await request(one).get("/health")).body).toMatchObject({
      status: "ok",
      rate_limit: { store: "redis", shared: true, degraded: false },
    });
  });
});

describe("when Redis is unreachable", () => {
  it("keeps serving, limits each instance in memory, warns once and reports degraded health", async () => {
    const logs = capture();
    const started = Date.now();
    const rateLimiter = await limiter({ perMinute: 2, redisUrl: "redis://127.0.0.1:1", logger: logs.logger });
    expect(Date.now() - started).toBeLessThan(3000);
    const a = app(rateLimiter);
    expect((await ask(a, KEY_A)).status).toBe(200);
    expect((await ask(a, KEY_A)).status).toBe(200);
    const limited = await ask(a, KEY_A);
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBeDefined();
    const health = await request(a).get("/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "degraded", rate_limit: { store: "redis", shared: false, degraded: true } });
    const warnings = logs.text().split("\n").filter((l) => l.includes("limits are now counted per instance"));
    expect(warnings).toHaveLength(1);
  });

  it("goes back to Redis when it answers again", async () => {
    const real = createClient({ url: REDIS_URL });
    real.on("error", () => undefined);
    await real.connect();
    let down = true;
    // The real client behind a switch: "down" behaves like a lost connection (offline, commands refused).
    const flaky = {
      get isReady() {
        return !down && real.isReady;
      },
      sendCommand: (args: string[]) => (down ? Promise.reject(new Error("offline")) : real.sendCommand(args)),
      destroy: () => real.destroy(),
    };
    const logs = capture();
    const store = new SharedStoreWithFallback(flaky, `${prefix}flaky:`, logs.logger);
    store.init({ windowMs: 60_000 } as Parameters<SharedStoreWithFallback["init"]>[0]);
    expect((await store.increment("k")).totalHits).toBe(1);
    expect(store.degraded).toBe(true);
    down = false;
    expect((await store.increment("k")).totalHits).toBe(1); // Redis' own count starts
    expect(store.degraded).toBe(false);
    expect(Number(await redis.get(`${prefix}flaky:k`))).toBe(1);
    await store.decrement("k");
    expect(Number(await redis.get(`${prefix}flaky:k`))).toBe(0);
    await store.resetKey("k");
    expect(await redis.get(`${prefix}flaky:k`)).toBeNull();
    down = true;
    await store.decrement("k"); // falls back without throwing
    expect(store.degraded).toBe(true);
    expect(logs.text()).toContain("Redis reachable again");
    store.shutdown();
    real.destroy();
  });
});

describe("startServer", () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = (extra: Record<string, string>) =>
    loadConfig({
      GUICHET_INDEX_DIR: dir,
      GUICHET_SOURCE: "vdd-xml",
      GUICHET_SOURCE_PATH: FIXTURES_35,
      PORT: "0",
      ...extra,
    });

  it("logs that authentication is off and why, and serves with degraded limits when Redis is down", async () => {
    const logs = capture();
    const running = await startServer(config({ GUICHET_REDIS_URL: "redis://127.0.0.1:1" }), logs.logger);
    try {
      expect(logs.text()).toContain(
        "authentication disabled: NODE_ENV=development and no API key or JWT verifier configured (local default); every caller is allowed",
      );
      expect(logs.text()).toContain("rate limits shared through Redis");
      const health = (await (await fetch(`${running.url}/health`, { headers: { Connection: "close" } })).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: "degraded", rate_limit: { store: "redis", degraded: true } });
    } finally {
      await running.close();
    }
  });

  it("logs the key names (never the keys) when authentication is on, and enforces it", async () => {
    const logs = capture();
    const running = await startServer(
      config({ NODE_ENV: "production", GUICHET_API_KEYS: JSON.stringify([{ name: "a", sha256: digest(KEY_A) }]) }),
      logs.logger,
    );
    try {
      expect(logs.text()).toMatch(/"api_keys":\["a"\],"jwt":"off","msg":"authentication enabled"/);
      expect(logs.text()).toContain("rate limits counted in memory (this process only)");
      const refused = await fetch(`${running.url}/invoke`, { method: "POST", body: "{}", headers: { Connection: "close" } });
      expect(refused.status).toBe(401);
      const ok = await fetch(`${running.url}/invoke`, {
        method: "POST",
        headers: { "X-API-Key": KEY_A, "Content-Type": "application/json", Connection: "close" },
        body: JSON.stringify({ question: "bonus-malus" }),
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-policy")).toMatch(/^"10-per-60s"; q=10; w=60/);
      expect(logs.text()).not.toContain(KEY_A);
    } finally {
      await running.close();
    }
  });
});
