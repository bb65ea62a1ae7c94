import { createHash, randomUUID } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import pg from "pg";
import { startServer, type RunningServer } from "../server/main.js";
import { loadConfig } from "../tools/config.js";
import { createLogger } from "../tools/logger.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { freePort, startRedis } from "./helpers/instances.js";

const KEY = "gch_faults-test-key";
const PG_URL = "postgres://postgres@127.0.0.1:5432/test";
const run = randomUUID().replace(/-/g, "").slice(0, 12);
const indexDir = tempDir("guichet-faults-index-");
const QUESTIONS = [
  "Que faire en cas de vol de ma voiture ?",
  "Comment fonctionne le bonus-malus ?",
  "Une caravane doit-elle être assurée ?",
  "Qu'est-ce que la franchise d'assurance auto ?",
  "Comment se passe l'expertise en assurance habitation ?",
];

interface Answer {
  status: number;
  cache?: string;
  retryAfter: string | null;
}

function env(extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: "test",
    PORT: "0",
    GUICHET_SOURCE: "vdd-xml",
    GUICHET_SOURCE_PATH: FIXTURES_35,
    GUICHET_INDEX_DIR: indexDir,
    GUICHET_FREEDICT_DIR: "off",
    GUICHET_API_KEYS: JSON.stringify([{ name: "faults", sha256: createHash("sha256").update(KEY).digest("hex") }]),
    GUICHET_RATE_LIMIT_PER_MINUTE: "10000",
    GUICHET_RATE_LIMIT_PREFIX: `guichet-test:${run}:rl:`,
    GUICHET_CACHE_PREFIX: `guichet-test:${run}:cache:`,
    GUICHET_THREADS: "off",
    GUICHET_FEEDBACK: "off",
    ...extra,
  };
}

async function ask(server: RunningServer, body: object): Promise<Answer> {
  const res = await fetch(`${server.url}/invoke`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": KEY },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { cache?: string };
  return { status: res.status, ...(json.cache ? { cache: json.cache } : {}), retryAfter: res.headers.get("retry-after") };
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** A TCP proxy to PostgreSQL that the test can cut and restore. */
async function pgProxy(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(5432, "127.0.0.1");
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      }).listen(port, "127.0.0.1", () => resolve());
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await open();
  return { url: `postgres://postgres@127.0.0.1:${port}/test`, cut, restore: open, close: cut };
}

describe("faults", () => {
  it("Redis unreachable at start: every question answered, and the shared cache back without a restart when Redis comes", async () => {
    const port = await freePort();
    const server = await startServer(loadConfig(env({ GUICHET_REDIS_URL: `redis://127.0.0.1:${port}` })), createLogger("silent"));
    try {
      const before = await Promise.all(QUESTIONS.map((q) => ask(server, { question: q })));
      expect(before.map((a) => a.status)).toEqual(QUESTIONS.map(() => 200));
      expect(before.every((a) => a.cache === "miss")).toBe(true);
      const ready = (await (await fetch(`${server.url}/ready`)).json()) as { ready: boolean; checks: { redis: { status: string } } };
      expect(ready).toMatchObject({ ready: true, checks: { redis: { status: "degraded" } } });

      const redis = await startRedis(port);
      try {
        // The client reconnects on its own (back-off up to 5 s): the cache works again without a restart.
        expect(await until(async () => (await ask(server, { question: QUESTIONS[0]! })).cache !== undefined && (await ask(server, { question: QUESTIONS[0]! })).cache === "exact", 15_000)).toBe(true);
      } finally {
        await redis.stop();
      }
    } finally {
      await server.close();
    }
  }, 40_000);

  it("Redis killed under load: no request lost, and recovery when it returns", async () => {
    const redis = await startRedis();
    const server = await startServer(loadConfig(env({ GUICHET_REDIS_URL: redis.url })), createLogger("silent"));
    try {
      await ask(server, { question: QUESTIONS[1]! });
      expect((await ask(server, { question: QUESTIONS[1]! })).cache).toBe("exact");
      const load = Array.from({ length: 60 }, (_, i) =>
        new Promise((resolve) => setTimeout(resolve, i * 10)).then(() => ask(server, { question: QUESTIONS[i % QUESTIONS.length]! })),
      );
      setTimeout(() => void redis.stop(), 150);
      const answers = await Promise.all(load);
      // Every request answered, none lost: 60 sent, 60 answers of 200.
      expect(answers.filter((a) => a.status === 200)).toHaveLength(60);
      const again = await startRedis(redis.port);
      try {
        await ask(server, { question: QUESTIONS[2]! });
        expect(await until(async () => (await ask(server, { question: QUESTIONS[3]! })).cache === "exact", 15_000)).toBe(true);
      } finally {
        await again.stop();
      }
    } finally {
      await server.close();
      await redis.stop();
    }
  }, 60_000);

  it("PostgreSQL down: thread routes answer 503 with Retry-After, questions without a thread go on; back when it returns", async () => {
    const proxy = await pgProxy();
    const schema = `guichet_faults_${run}`;
    const server = await startServer(
      loadConfig(env({ GUICHET_THREADS: "postgres", DATABASE_URL: proxy.url, GUICHET_THREADS_SCHEMA: schema, GUICHET_CACHE: "off" })),
      createLogger("silent"),
    );
    const thread = `faults-${run}`;
    try {
      expect((await ask(server, { question: QUESTIONS[0]!, thread_id: thread })).status).toBe(200);
      await proxy.cut();
      const results = await Promise.all([
        ask(server, { question: "et pour une caravane ?", thread_id: thread }),
        fetch(`${server.url}/threads/${thread}`, { headers: { "X-API-Key": KEY } }),
        ask(server, { question: QUESTIONS[1]! }),
      ]);
      const [turn, read, plain] = results as [Answer, Response, Answer];
      expect(turn).toMatchObject({ status: 503, retryAfter: "5" });
      expect(read.status).toBe(503);
      expect(read.headers.get("retry-after")).toBe("5");
      expect(plain.status).toBe(200);
      const ready = (await (await fetch(`${server.url}/ready`)).json()) as { ready: boolean; checks: { threads: { status: string } } };
      expect(ready).toMatchObject({ ready: true, checks: { threads: { status: "degraded" } } });
      await proxy.restore();
      expect(await until(async () => (await ask(server, { question: "et pour une caravane ?", thread_id: thread })).status === 200, 10_000)).toBe(true);
    } finally {
      await server.close();
      await proxy.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }, 40_000);
});
