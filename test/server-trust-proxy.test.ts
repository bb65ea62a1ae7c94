import { pino } from "pino";
import request from "supertest";
import { buildGraph } from "../graphs/guichet.js";
import { createApp } from "../server/app.js";
import { createRateLimiter, type RateLimiter } from "../server/rate-limit.js";
import { loadConfig } from "../tools/config.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const silent = pino({ level: "silent" });
const capabilities = subsetCapabilities();
let limiters: RateLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.map((l) => l.close()));
  limiters = [];
});

async function appTrusting(trustProxy?: false | number | string) {
  const rateLimiter = await createRateLimiter({ perMinute: 1, prefix: `trust-${Math.random()}:`, logger: silent });
  limiters.push(rateLimiter);
  return createApp({
    graph: buildGraph(), capabilities, logger: silent, maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 5000, version: "test", rateLimiter,
    ...(trustProxy !== undefined ? { trustProxy } : {}),
  });
}

const ask = (app: Awaited<ReturnType<typeof appTrusting>>, forwardedFor: string) =>
  request(app).post("/invoke").set("X-Forwarded-For", forwardedFor).send({ question: "Combien coûte un passeport ?" });

describe("anonymous callers behind a proxy (GUICHET_TRUST_PROXY)", () => {
  it("share one budget when no proxy is trusted: X-Forwarded-For is not believed", async () => {
    const app = await appTrusting();
    expect((await ask(app, "203.0.113.1")).status).toBe(200);
    expect((await ask(app, "203.0.113.2")).status).toBe(429);
  });

  it("each get their own budget when the proxy in front is trusted", async () => {
    const app = await appTrusting(1);
    expect((await ask(app, "203.0.113.1")).status).toBe(200);
    expect((await ask(app, "203.0.113.2")).status).toBe(200);
    expect((await ask(app, "203.0.113.1")).status).toBe(429);
  });

  it("only trust the addresses named", async () => {
    // The test client connects from loopback: trusted by name, not by another range.
    expect((await ask(await appTrusting("loopback"), "203.0.113.1")).status).toBe(200);
    const other = await appTrusting("10.0.0.0/8");
    expect((await ask(other, "203.0.113.1")).status).toBe(200);
    expect((await ask(other, "203.0.113.2")).status).toBe(429);
  });

  it("is read from the environment and refused when it would let anyone choose their address", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ GUICHET_TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ GUICHET_TRUST_PROXY: "loopback, 10.0.0.0/8,fd00::/8" }).trustProxy).toBe("loopback,10.0.0.0/8,fd00::/8");
    for (const bad of ["true", "10.0.0.0/33", "proxy.example", "1.2.3.4/8/8", "10"]) {
      expect(() => loadConfig({ GUICHET_TRUST_PROXY: bad })).toThrow(/GUICHET_TRUST_PROXY/);
    }
  });
});
