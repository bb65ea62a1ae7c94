import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import request from "supertest";
import { buildGraph } from "../graphs/guichet.js";
import { createApp } from "../server/app.js";
import { createAnswerCache } from "../tools/cache/create.js";
import { loadConfig } from "../tools/config.js";
import { createLogger } from "../tools/logger.js";
import { authSettings } from "../tools/security-config.js";
import { openThreadStore, type ThreadStore } from "../tools/threads/store.js";
import { Threads } from "../tools/threads/threads.js";
import { rewriteFollowUp } from "../tools/threads/follow-up.js";
import { subsetCapabilities, tempDir } from "./helpers/fixtures.js";

const logger = createLogger("silent");
const KEY_ALICE = "gch_threads-test-key-alice";
const KEY_BOB = "gch_threads-test-key-bob";
const digest = (key: string) => createHash("sha256").update(key).digest("hex");
const auth = authSettings({
  NODE_ENV: "test",
  GUICHET_API_KEYS: JSON.stringify([
    { name: "alice", sha256: digest(KEY_ALICE) },
    { name: "bob", sha256: digest(KEY_BOB) },
  ]),
});
const PG_URL = "postgres://postgres@127.0.0.1:5432/test";

function appWith(store: ThreadStore, retentionMs = 86_400_000) {
  const capabilities = subsetCapabilities();
  capabilities.answerCache = createAnswerCache(loadConfig({ GUICHET_CACHE: "memory" }), capabilities, logger);
  const threads = new Threads(store, buildGraph({ checkpointer: store.saver }), retentionMs, (keys) => capabilities.answerCache!.forget(keys));
  const app = createApp({
    graph: buildGraph(), capabilities, logger, maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 10_000, version: "0", auth, threads,
  });
  return { app, threads, capabilities };
}

const ask = (app: ReturnType<typeof appWith>["app"], key: string, question: string, threadId: string) =>
  request(app).post("/invoke").set("X-API-Key", key).send({ question, thread_id: threadId });

describe("follow-up rewriting", () => {
  it.each([
    ["et pour un mineur de 16 ans ?", "Combien coûte un passeport ?", "Combien coûte un passeport pour un mineur de 16 ans ?"],
    ["il faut quels papiers ?", "Combien coûte un passeport pour un mineur de 16 ans ?", "il faut quels papiers pour un passeport pour un mineur de 16 ans ?"],
    ["et si je suis à l'étranger ?", "Comment renouveler mon passeport ?", "Comment renouveler mon passeport si je suis à l'étranger ?"],
    ["combien ça coûte ?", "Comment obtenir une carte grise ? mon mail est [EMAIL]", "combien ça coûte pour obtenir une carte grise ?"],
    ["Comment déclarer la perte de ma carte Vitale ?", "Combien coûte un passeport ?", "Comment déclarer la perte de ma carte Vitale ?"],
  ])("reads %s after «%s» as «%s»", (question, previous, standalone) => {
    expect(rewriteFollowUp(question, previous).standalone).toBe(standalone);
  });

  it("leaves the first question of a conversation as it is", () => {
    expect(rewriteFollowUp("et pour un mineur ?", undefined)).toEqual({ kind: "standalone", standalone: "et pour un mineur ?" });
  });
});

describe.each(["sqlite", "postgres"] as const)("conversations on %s", (kind) => {
  let store: ThreadStore;
  let dir: string;
  const schema = `guichet_test_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  beforeAll(async () => {
    dir = tempDir("guichet-threads-");
    store = (await openThreadStore(
      { backend: kind, sqlitePath: join(dir, "threads.sqlite"), databaseUrl: PG_URL, schema, retentionMs: 86_400_000 },
      logger,
    ))!;
    await store.check();
  });
  afterAll(async () => {
    if (kind === "postgres") {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
    await store.close();
  });

  /** Everything the store holds, as text: what a look at the database would see. */
  async function stored(): Promise<string> {
    if (kind === "sqlite") return readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("\n");
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const tables = await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema]);
    let text = "";
    for (const { table_name: table } of tables.rows as Array<{ table_name: string }>) {
      const rows = await client.query(`SELECT * FROM ${schema}."${table}"`);
      // bytea columns come as Buffers: read them as text (JSON.stringify would print their bytes as numbers).
      for (const row of rows.rows as Array<Record<string, unknown>>) {
        for (const value of Object.values(row)) text += Buffer.isBuffer(value) ? value.toString("utf8") : JSON.stringify(value);
      }
    }
    await client.end();
    return text;
  }

  it("answers a three-turn conversation about the right procedure, keeps it for its owner only, and erases it", async () => {
    const { app, capabilities } = appWith(store);
    const id = `conv-${randomUUID()}`;
    const first = await ask(app, KEY_ALICE, "Combien coûte un passeport ? mon mail est jean.dupont@example.fr", id);
    expect(first.status).toBe(200);
    expect(first.body.redacted).toEqual(["EMAIL"]);
    expect(first.body.answer).toMatch(/86 €/);
    const second = await ask(app, KEY_ALICE, "et pour un mineur de 16 ans ?", id);
    expect(second.body.understood_as).toBe("Combien coûte un passeport pour un mineur de 16 ans ?");
    expect(second.body.answer).toMatch(/42 €/);
    expect(second.body.citations.map((c: { id: string }) => c.id)).toContain("F34752");
    const third = await ask(app, KEY_ALICE, "il faut quels papiers ?", id);
    expect(third.body.understood_as).toBe("il faut quels papiers pour un passeport pour un mineur de 16 ans ?");
    expect(third.body.answer).toMatch(/passeport/i);
    expect(third.body.citations[0].title).toMatch(/passeport/i);

    const turns = await request(app).get(`/threads/${id}`).set("X-API-Key", KEY_ALICE);
    expect(turns.status).toBe(200);
    expect(turns.body.turns.map((t: { question: string }) => t.question)).toEqual([
      "Combien coûte un passeport ? mon mail est [EMAIL]",
      "et pour un mineur de 16 ans ?",
      "il faut quels papiers ?",
    ]);
    expect(turns.body.turns[2]).toMatchObject({ understood_as: third.body.understood_as, answer: third.body.answer, citations: third.body.citations });
    expect(Date.parse(turns.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(turns.body.created_at));
    // Only redacted text was ever stored.
    const before = await stored();
    expect(before).toContain("mineur de 16 ans");
    expect(before).not.toContain("jean.dupont");

    // Someone else's thread does not exist for them: not to read, not to continue, not to erase.
    expect((await request(app).get(`/threads/${id}`).set("X-API-Key", KEY_BOB)).status).toBe(404);
    expect((await ask(app, KEY_BOB, "et pour un majeur ?", id)).status).toBe(404);
    expect((await request(app).delete(`/threads/${id}`).set("X-API-Key", KEY_BOB)).status).toBe(404);

    const cachedBefore = capabilities.answerCache!.backend.status().entries!;
    expect(cachedBefore).toBeGreaterThan(0);
    expect((await request(app).delete(`/threads/${id}`).set("X-API-Key", KEY_ALICE)).status).toBe(204);
    expect((await request(app).get(`/threads/${id}`).set("X-API-Key", KEY_ALICE)).status).toBe(404);
    expect(await stored()).not.toContain("mineur de 16 ans");
    expect(await stored()).not.toContain(id);
    expect(capabilities.answerCache!.backend.status().entries).toBeLessThan(cachedBefore);
  });

  it("answers bad thread ids with a 400 problem and unknown ones with 404", async () => {
    const { app } = appWith(store);
    const bad = await request(app).post("/invoke").set("X-API-Key", KEY_ALICE).send({ question: "prix du passeport", thread_id: "a b/c" });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/thread_id: must be 1 to 128 letters/);
    expect((await request(app).get("/threads/%20x").set("X-API-Key", KEY_ALICE)).status).toBe(400);
    expect((await request(app).get(`/threads/unknown-${randomUUID()}`).set("X-API-Key", KEY_ALICE)).status).toBe(404);
    expect((await request(app).put(`/threads/x`).set("X-API-Key", KEY_ALICE)).status).toBe(405);
  });

  it("erases conversations past their retention", async () => {
    const { app, threads } = appWith(store, 50);
    const id = `old-${randomUUID()}`;
    expect((await ask(app, KEY_ALICE, "Combien coûte un passeport ?", id)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await threads.sweep()).toBeGreaterThanOrEqual(1);
    expect((await request(app).get(`/threads/${id}`).set("X-API-Key", KEY_ALICE)).status).toBe(404);
    expect(await stored()).not.toContain(id);
  });
});
