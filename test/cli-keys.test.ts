import { createHash } from "node:crypto";
import request from "supertest";
import { pino } from "pino";
import { KEY_PREFIX, keysMain, newApiKey } from "../cli/keys.js";
import { buildGraph } from "../graphs/guichet.js";
import { createApp } from "../server/app.js";
import { loadConfig } from "../tools/config.js";
import { subsetCapabilities } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

function streams() {
  const io = memoryIo();
  return { io, out: io.out, err: io.err };
}

describe("npm run keys -- create", () => {
  it("prints a new key once, and a config entry holding only its SHA-256", async () => {
    const run = streams();
    expect(await keysMain(["create", "portail-caf", "--rate-limit", "30"], run.io)).toBe(0);
    const lines = run.out().trim().split("\n");
    const key = lines[1]!.trim();
    expect(key).toMatch(/^gch_[A-Za-z0-9_-]{43}$/);
    expect(run.out().split(key).length - 1).toBe(1);
    const entry = JSON.parse(lines[3]!.trim()) as Record<string, unknown>;
    expect(entry).toEqual({
      name: "portail-caf",
      sha256: createHash("sha256").update(key).digest("hex"),
      rate_limit_per_minute: 30,
      scopes: ["invoke"],
    });
  });

  it("makes an entry the server accepts as it is, and the key then works", async () => {
    const run = streams();
    expect(await keysMain(["create", "mairie", "--json"], run.io)).toBe(0);
    const { key, entry } = JSON.parse(run.out()) as { key: string; entry: object };
    expect(entry).not.toHaveProperty("rate_limit_per_minute");
    const config = loadConfig({ GUICHET_API_KEYS: JSON.stringify([entry]) });
    const app = createApp({
      graph: buildGraph(),
      capabilities: subsetCapabilities(),
      logger: pino({ level: "silent" }),
      maxQuestionLength: 500,
      topK: 10,
      maxPerFiche: 2,
      requestTimeoutMs: 5000,
      version: "0",
      auth: config.auth,
    });
    const ok = await request(app).post("/invoke").set("X-API-Key", key).send({ question: "Comment refaire un passeport ?" });
    expect(ok.status).toBe(200);
    const other = await request(app).post("/invoke").set("X-API-Key", newApiKey("x").key).send({ question: "passeport" });
    expect(other.status).toBe(401);
  });

  it("creates a different key every time", () => {
    const keys = new Set(Array.from({ length: 50 }, () => newApiKey("n").key));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key.startsWith(KEY_PREFIX)).toBe(true);
  });

  it.each([
    [["create", "bad name"], /invalid for argument 'name'/],
    [["create", "ok", "--rate-limit", "0"], /must be a whole number/],
    [["create"], /missing required argument 'name'/],
    [[], /Usage: keys/],
  ])("refuses %j with exit code 2", async (argv, message) => {
    const run = streams();
    expect(await keysMain(argv, run.io)).toBe(2);
    expect(run.err()).toMatch(message);
    expect(run.out()).toBe("");
  });
});
