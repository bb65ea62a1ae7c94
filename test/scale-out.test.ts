import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import { createClient } from "redis";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { startInstance, type Instance } from "./helpers/instances.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const PG_URL = "postgres://postgres@127.0.0.1:5432/test";
const KEY = "gch_scale-out-test-key";
const run = randomUUID().replace(/-/g, "").slice(0, 12);
const prefix = `guichet-test:${run}:`;
const schema = `guichet_scale_${run}`;
let a: Instance;
let b: Instance;

interface Body {
  answer?: string;
  understood_as?: string;
  found?: boolean;
  cache?: string;
  turns?: unknown[];
  checks?: unknown;
}
const json = async (res: Promise<Response>): Promise<Body> => (await res).json() as Promise<Body>;
const post = (instance: Instance, body: object) =>
  fetch(`${instance.url}/invoke`, { method: "POST", headers: { "Content-Type": "application/json", "X-API-Key": KEY }, body: JSON.stringify(body) });

beforeAll(async () => {
  const env = {
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    GUICHET_SOURCE: "vdd-xml",
    GUICHET_SOURCE_PATH: FIXTURES_35,
    GUICHET_INDEX_DIR: tempDir("guichet-scale-index-"),
    GUICHET_FREEDICT_DIR: "off",
    GUICHET_API_KEYS: JSON.stringify([{ name: "scale", sha256: createHash("sha256").update(KEY).digest("hex") }]),
    GUICHET_RATE_LIMIT_PER_MINUTE: "8",
    GUICHET_REDIS_URL: REDIS_URL,
    GUICHET_RATE_LIMIT_PREFIX: `${prefix}rl:`,
    GUICHET_CACHE_PREFIX: `${prefix}cache:`,
    DATABASE_URL: PG_URL,
    GUICHET_THREADS_SCHEMA: schema,
  };
  // The first builds the index; the second finds it built.
  a = await startInstance(env);
  b = await startInstance(env);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(keys);
  await redis.quit();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe("two stateless instances on one Redis and one PostgreSQL", () => {
  it("share the cache, one rate limit and the conversations", async () => {
    const first = await json(post(a, { question: "Comment fonctionne le bonus-malus de l'assurance auto ?" }));
    expect(first).toMatchObject({ cache: "miss", found: true });
    const second = await json(post(b, { question: "comment fonctionne le bonus malus de l'assurance auto" }));
    expect(second).toMatchObject({ cache: "exact", answer: first.answer });

    // A conversation started on one instance goes on on the other.
    const thread = `scale-${run}`;
    const turn1 = await json(post(a, { question: "Que faire en cas de vol de ma voiture ?", thread_id: thread }));
    expect(turn1.found).toBe(true);
    const turn2 = await json(post(b, { question: "et pour une caravane ?", thread_id: thread }));
    expect(turn2.understood_as).toBe("Que faire en cas de vol de ma voiture pour une caravane ?");
    const turns = await json(fetch(`${b.url}/threads/${thread}`, { headers: { "X-API-Key": KEY } }));
    expect(turns.turns).toHaveLength(2);
    expect((await fetch(`${a.url}/threads/${thread}`, { method: "DELETE", headers: { "X-API-Key": KEY } })).status).toBe(204);
    expect((await fetch(`${b.url}/threads/${thread}`, { headers: { "X-API-Key": KEY } })).status).toBe(404);

    // 8 per minute for the key, counted across both instances: 7 requests were made above.
    const statuses: number[] = [];
    for (const instance of [a, b, a]) statuses.push((await post(instance, { question: "Une caravane doit-elle être assurée ?" })).status);
    expect(statuses).toEqual([200, 429, 429]);

    for (const instance of [a, b]) {
      const ready = await json(fetch(`${instance.url}/ready`));
      expect(ready.checks).toMatchObject({ cache: { status: "ok", backend: "redis" }, redis: { status: "ok" }, threads: { status: "ok", backend: "postgres" } });
    }
  });
});
