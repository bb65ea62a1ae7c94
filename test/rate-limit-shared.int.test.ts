import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { createClient } from "redis";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

/**
 * Acceptance: two Guichet processes on different ports, sharing the machine's Redis, enforce one rate limit per
 * key between them. Real OS processes started as `npm start` does (tsx server/main.ts), in production mode.
 */
const REDIS_URL = "redis://127.0.0.1:6379";
const KEY = `gch_${randomUUID()}`;
const prefix = `guichet-test:${randomUUID()}:`;
let dir: string;

interface Instance {
  child: ChildProcess;
  url: string;
  logs: () => string;
}

function start(): Promise<Instance> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    PORT: "0",
    LOG_LEVEL: "info",
    GUICHET_INDEX_DIR: dir,
    GUICHET_SOURCE: "vdd-xml",
    GUICHET_SOURCE_PATH: FIXTURES_35,
    GUICHET_API_KEYS: JSON.stringify([
      { name: "shared-test", sha256: createHash("sha256").update(KEY).digest("hex"), rate_limit_per_minute: 5 },
    ]),
    GUICHET_REDIS_URL: REDIS_URL,
    GUICHET_RATE_LIMIT_PREFIX: prefix,
    GUICHET_FEEDBACK: "off",
  };
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  child.stdout!.on("data", (d: Buffer) => (logs += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs}`)), 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      logs += d.toString();
      const url = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"Guichet listening"/.exec(logs)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, logs: () => logs });
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${logs}`)));
  });
}

function stop(instance: Instance): Promise<number | null> {
  return new Promise((resolve) => {
    if (instance.child.exitCode !== null) {
      resolve(instance.child.exitCode);
      return;
    }
    instance.child.once("exit", (code) => resolve(code));
    instance.child.kill("SIGTERM");
  });
}

const instances: Instance[] = [];

beforeAll(async () => {
  dir = tempDir();
  // One after the other: the first builds the fixture index, the second finds it ready.
  instances.push(await start());
  instances.push(await start());
});

afterAll(async () => {
  await Promise.all(instances.map(stop));
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
  if (keys.length > 0) await redis.del(keys);
  redis.destroy();
  rmSync(dir, { recursive: true, force: true });
});

it("two processes on different ports enforce one limit per key between them", async () => {
  const [one, two] = instances as [Instance, Instance];
  expect(one.url).not.toBe(two.url);
  const ask = (url: string) =>
    fetch(`${url}/invoke`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ question: "Comment fonctionne le bonus-malus ?" }),
    });
  const results: Array<{ port: string; status: number; remaining: string | null }> = [];
  for (let i = 0; i < 8; i++) {
    const url = i % 2 === 0 ? one.url : two.url;
    const res = await ask(url);
    await res.arrayBuffer();
    results.push({ port: new URL(url).port, status: res.status, remaining: res.headers.get("ratelimit") });
  }
  expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  // The remaining count goes down across both processes: one counter.
  expect(results.slice(0, 5).map((r) => /r=(\d+)/.exec(r.remaining ?? "")?.[1])).toEqual(["4", "3", "2", "1", "0"]);
  expect(new Set(results.map((r) => r.port)).size).toBe(2);

  // Without the key: 401 in production mode, on both.
  for (const instance of instances) {
    const res = await fetch(`${instance.url}/invoke`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="guichet"');
  }
  for (const instance of instances) {
    const health = (await (await fetch(`${instance.url}/health`)).json()) as { rate_limit: unknown };
    expect(health.rate_limit).toEqual({ store: "redis", shared: true, degraded: false });
    expect(instance.logs()).toContain('"msg":"authentication enabled"');
    expect(instance.logs()).toContain('"principal":"key:shared-test"');
    expect(instance.logs()).not.toContain(KEY);
  }
  const codes = await Promise.all(instances.map(stop));
  expect(codes).toEqual([0, 0]);
});
