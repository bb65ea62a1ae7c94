import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { AnswerCache } from "../tools/cache/answer-cache.js";
import { cacheTermWeight } from "../tools/cache/create.js";
import { RedisCacheBackend } from "../tools/cache/redis-backend.js";
import { createLogger } from "../tools/logger.js";
import { connectRedis, type RedisConnection } from "../tools/redis-connection.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const logger = createLogger("silent");
const caps = subsetCapabilities();
const prefix = `guichet-test:${randomUUID()}:`;
let redis: RedisConnection;

/** An instance of the cache as another Guichet process would have it: its own backend object, same Redis. */
function instance(options: { lockMs?: number; waitMs?: number; client?: RedisConnection } = {}) {
  return new AnswerCache(new RedisCacheBackend<string>(options.client ?? redis, { prefix, ttlMs: 60_000, logger }), {
    namespace: "ns-redis",
    threshold: 0.8,
    lockMs: options.lockMs ?? 5_000,
    waitMs: options.waitMs ?? 2_000,
    termWeight: cacheTermWeight(caps.search.lexical),
    corrector: caps.search.lexical.spelling,
    pollMs: 5,
  });
}

beforeAll(async () => {
  redis = await connectRedis(REDIS_URL, logger);
  if (!redis.isReady) throw new Error(`Redis is not reachable at ${REDIS_URL}: these tests need the machine's Redis`);
});

afterAll(async () => {
  await instance().backend.clear();
  expect(await redis.keys(`${prefix}*`)).toEqual([]);
  redis.destroy();
});

describe("answer cache on Redis", () => {
  it("shares exact and semantic hits between instances, under its prefix, with a TTL", async () => {
    const a = instance();
    const b = instance();
    const miss = await a.lookup("Combien coûte un passeport ?", "fr");
    expect(miss.kind).toBe("miss");
    if (miss.kind === "miss") await a.store(miss.ticket, "86 €");
    expect(await b.lookup("combien coute un passeport", "fr")).toMatchObject({ kind: "exact", value: "86 €" });
    expect(await b.lookup("quel est le prix d'un passeport ?", "fr")).toMatchObject({ kind: "semantic", value: "86 €" });
    expect((await b.lookup("Combien de temps pour avoir un passeport ?", "fr")).kind).toBe("miss");
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys.filter((k) => !k.includes(":l:"))) expect(await redis.pTTL(key)).toBeGreaterThan(0);
  });

  it("computes once across instances; a waiter takes over when the holder dies", async () => {
    const a = instance({ lockMs: 60 });
    const b = instance({ lockMs: 60 });
    const held = await a.lookup("perte de la carte vitale", "fr");
    expect(held.kind === "miss" && held.ticket.token).toBeTruthy();
    const waiting = b.lookup("perte de la carte vitale", "fr");
    // The holder dies without storing: after its lock expires the waiter holds the lock itself.
    const took = await waiting;
    expect(took.kind === "miss" && took.ticket.token).toBeTruthy();
    const third = instance();
    const pending = third.lookup("perte de la carte vitale", "fr");
    if (took.kind === "miss") await b.store(took.ticket, "déclarer la perte");
    expect(await pending).toMatchObject({ kind: "exact", value: "déclarer la perte" });
  });

  it("with Redis unreachable, every lookup is an immediate miss and storing does nothing", async () => {
    // A port where nothing listens: the client never gets ready.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const dead = await connectRedis(`redis://127.0.0.1:${port}`, logger);
    try {
      const cache = instance({ client: dead });
      const started = Date.now();
      const found = await cache.lookup("Combien coûte un passeport ?", "fr");
      expect(found.kind === "miss" && found.ticket.token).toBeNull();
      if (found.kind === "miss") await cache.store(found.ticket, "x");
      expect(Date.now() - started).toBeLessThan(500);
      expect(cache.backend.status()).toMatchObject({ kind: "redis", reachable: false });
    } finally {
      dead.destroy();
    }
  });
});
