import { randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { openFeedbackStore } from "../tools/feedback/store.js";
import { FeedbackStoreUnavailableError, type FeedbackConfig, type FeedbackStore, type RunRecord } from "../tools/feedback/types.js";
import { createLogger } from "../tools/logger.js";
import { tempDir } from "./helpers/fixtures.js";

const logger = createLogger("silent");
const PG_URL = "postgres://postgres@127.0.0.1:5432/test";
const DAY = 86_400_000;
const RETENTION = 30 * DAY;

/** Why PostgreSQL cannot be used here, or undefined when it answers. */
async function postgresDown(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

/** Which SQLite driver openSqliteDatabase takes on this runtime (CI runs Node 20 and Node 24: both). */
function sqliteDriver(): string {
  try {
    createRequire(import.meta.url)("node:sqlite");
    return "node:sqlite";
  } catch {
    return "better-sqlite3";
  }
}

/** A run of Alice's, ended at `createdAt`. */
const runAt = (createdAt: number, over: Partial<RunRecord> = {}): RunRecord => ({
  runId: randomUUID(),
  traceId: randomBytes(16).toString("hex"),
  caller: "key:alice",
  question: "et pour un mineur ? mon mail est [EMAIL]",
  understoodAs: "Combien coûte un passeport pour un mineur ?",
  language: "fr",
  passageIds: ["F34752#0", "F34752#3", "F14929#1"],
  citedFiches: ["F34752"],
  answer: "Le passeport d'un mineur coûte 42 € [1].",
  variant: "lexical-b",
  latencyMs: 12.5,
  createdAt,
  ...over,
});

const pgDown = await postgresDown();
if (pgDown) console.warn(`feedback-store: the PostgreSQL cases are skipped, ${PG_URL} is unreachable (${pgDown})`);
const backends = pgDown ? (["sqlite"] as const) : (["sqlite", "postgres"] as const);

describe.each(backends)("the run log on %s", (backend) => {
  const dir = tempDir("guichet-feedback-store-");
  const schema = `guichet_feedback_test_${randomBytes(6).toString("hex")}`;
  let clock = Date.parse("2025-03-01T12:00:00Z");
  const config: FeedbackConfig = {
    backend,
    sqlitePath: join(dir, "feedback.sqlite"),
    databaseUrl: PG_URL,
    schema,
    retentionMs: RETENTION,
  };
  const open = () => openFeedbackStore(config, logger, { sweepEveryMs: 0, now: () => clock }) as Promise<FeedbackStore>;
  let store: FeedbackStore;

  const runOf = (over: Partial<RunRecord> = {}) => runAt(clock, over);

  beforeAll(async () => {
    if (backend === "sqlite") console.info(`feedback-store: SQLite through ${sqliteDriver()} (Node ${process.versions.node})`);
    store = await open();
  });
  afterAll(async () => {
    await store.close();
    if (backend === "postgres") await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a run as given and lets its caller rate it once, by run_id", async () => {
    const run = runOf();
    await store.recordRun(run);
    const rated = await store.rate({ runId: run.runId }, "key:alice", { rating: "down", reason: "outdated", comment: "tarif [EMAIL]" });
    expect(rated).toEqual({ status: "recorded", feedbackId: expect.stringMatching(/^[0-9a-f-]{36}$/), runId: run.runId });
    const again = await store.rate({ runId: run.runId }, "key:alice", { rating: "up" });
    expect(again).toEqual({ status: "already_rated", feedbackId: (rated as { feedbackId: string }).feedbackId, runId: run.runId });
    const entry = (await store.list("pending")).find((e) => e.run.runId === run.runId);
    expect(entry).toEqual({
      feedbackId: (rated as { feedbackId: string }).feedbackId,
      rating: "down",
      reason: "outdated",
      comment: "tarif [EMAIL]",
      createdAt: clock,
      run,
    });
  });

  it("keeps a run without the optional fields", async () => {
    const bare = runOf({ passageIds: [], citedFiches: [] });
    delete bare.understoodAs;
    delete bare.variant;
    await store.recordRun(bare);
    const rated = await store.rate({ runId: bare.runId }, "key:alice", { rating: "up" });
    const entry = (await store.list("all")).find((e) => e.run.runId === bare.runId);
    expect(entry).toEqual({ feedbackId: (rated as { feedbackId: string }).feedbackId, rating: "up", createdAt: clock, run: bare });
  });

  it("finds a run by trace_id: the caller's latest with that trace, never another caller's", async () => {
    const traceId = randomBytes(16).toString("hex");
    const older = runOf({ traceId, createdAt: clock - 60_000 });
    const latest = runOf({ traceId });
    const bobs = runOf({ traceId, caller: "key:bob", createdAt: clock + 1 });
    for (const run of [older, latest, bobs]) await store.recordRun(run);
    expect(await store.rate({ traceId }, "key:alice", { rating: "up" })).toMatchObject({ status: "recorded", runId: latest.runId });
    expect(await store.rate({ traceId }, "key:bob", { rating: "up" })).toMatchObject({ status: "recorded", runId: bobs.runId });
  });

  it("gives the same unknown_run for another caller's run, an unknown run and a malformed id", async () => {
    const run = runOf();
    await store.recordRun(run);
    expect(await store.rate({ runId: run.runId }, "key:bob", { rating: "up" })).toEqual({ status: "unknown_run" });
    expect(await store.rate({ runId: run.runId }, "anonymous", { rating: "up" })).toEqual({ status: "unknown_run" });
    expect(await store.rate({ runId: randomUUID() }, "key:alice", { rating: "up" })).toEqual({ status: "unknown_run" });
    expect(await store.rate({ runId: "not-a-uuid" }, "key:alice", { rating: "up" })).toEqual({ status: "unknown_run" });
    expect(await store.rate({ traceId: "0".repeat(32) }, "key:alice", { rating: "up" })).toEqual({ status: "unknown_run" });
  });

  it("marks ratings reviewed, keeping the reviewer's fiches until new ones are given", async () => {
    const [a, b] = [runOf(), runOf()];
    await store.recordRun(a);
    await store.recordRun(b);
    const ra = (await store.rate({ runId: a.runId }, "key:alice", { rating: "down", reason: "wrong" })) as { feedbackId: string };
    const rb = (await store.rate({ runId: b.runId }, "key:alice", { rating: "up" })) as { feedbackId: string };
    clock += 1_000;
    await store.markReviewed([ra.feedbackId], ["F1344"]);
    await store.markReviewed([rb.feedbackId]);
    const reviewed = await store.list("reviewed");
    expect(reviewed.find((e) => e.feedbackId === ra.feedbackId)).toMatchObject({ reviewedAt: clock, expectedFiches: ["F1344"] });
    expect(reviewed.find((e) => e.feedbackId === rb.feedbackId)).toMatchObject({ reviewedAt: clock });
    expect(reviewed.find((e) => e.feedbackId === rb.feedbackId)?.expectedFiches).toBeUndefined();
    expect((await store.list("pending")).map((e) => e.feedbackId)).not.toContain(ra.feedbackId);
    await store.markReviewed([ra.feedbackId]);
    expect((await store.list("reviewed")).find((e) => e.feedbackId === ra.feedbackId)?.expectedFiches).toEqual(["F1344"]);
    await store.markReviewed([ra.feedbackId], []);
    expect((await store.list("reviewed")).find((e) => e.feedbackId === ra.feedbackId)?.expectedFiches).toEqual([]);
  });

  it("hides runs past the retention at once, and the sweep deletes them with their ratings", async () => {
    const old = runOf({ createdAt: clock - RETENTION - 1 });
    const rated = runOf({ createdAt: clock - RETENTION + 60_000 });
    await store.recordRun(old);
    await store.recordRun(rated);
    const feedback = (await store.rate({ runId: rated.runId }, "key:alice", { rating: "up" })) as { feedbackId: string };
    expect(await store.rate({ runId: old.runId }, "key:alice", { rating: "up" })).toEqual({ status: "unknown_run" });
    expect(await store.sweep()).toBe(1);
    clock += 120_000;
    expect((await store.list("all")).map((e) => e.feedbackId)).not.toContain(feedback.feedbackId);
    expect(await store.sweep()).toBe(1);
    expect(await store.sweep()).toBe(0);
    expect(await store.rate({ runId: rated.runId }, "key:alice", { rating: "down" })).toEqual({ status: "unknown_run" });
  });

  // A file-level check: only the SQLite store has files to look into.
  if (backend === "sqlite") it("leaves nothing of a swept run in the SQLite files", async () => {
    const marker = `question-${randomBytes(8).toString("hex")}`;
    await store.recordRun(runOf({ question: marker, createdAt: clock - RETENTION - 1 }));
    const files = () => readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("\n");
    expect(files()).toContain(marker);
    expect(await store.sweep()).toBe(1);
    expect(files()).not.toContain(marker);
  });

  it("sweeps when it opens, and keeps what is recent across a reopening", async () => {
    const old = runOf({ createdAt: clock - RETENTION + 1_000 });
    const recent = runOf();
    await store.recordRun(old);
    await store.recordRun(recent);
    await store.close();
    clock += 2_000;
    store = await open();
    expect(await store.sweep()).toBe(0);
    expect(await store.rate({ runId: recent.runId }, "key:alice", { rating: "up" })).toMatchObject({ status: "recorded" });
  });

  it("fails with FeedbackStoreUnavailableError once closed", async () => {
    const other = await openFeedbackStore({ ...config, sqlitePath: join(dir, "closed.sqlite") }, logger, { sweepEveryMs: 0 });
    await other!.close();
    await expect(other!.recordRun(runOf())).rejects.toBeInstanceOf(FeedbackStoreUnavailableError);
    await expect(other!.rate({ runId: randomUUID() }, "key:alice", { rating: "up" })).rejects.toBeInstanceOf(FeedbackStoreUnavailableError);
    await expect(other!.list("all")).rejects.toBeInstanceOf(FeedbackStoreUnavailableError);
  });
});

describe("openFeedbackStore", () => {
  it("opens nothing when feedback is off", async () => {
    expect(await openFeedbackStore({ backend: "off", sqlitePath: "-", schema: "x", retentionMs: DAY }, logger)).toBeUndefined();
  });

  it("sweeps every sweepEveryMs while open", async () => {
    const dir = tempDir("guichet-feedback-sweep-");
    const config: FeedbackConfig = { backend: "sqlite", sqlitePath: join(dir, "f.sqlite"), schema: "x", retentionMs: DAY };
    let clock = Date.now();
    const store = (await openFeedbackStore(config, logger, { sweepEveryMs: 20, now: () => clock }))!;
    await store.recordRun(runAt(clock));
    clock += 2 * DAY;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.sweep()).toBe(0);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  (pgDown ? it.skip : it)("creates its PostgreSQL tables at start-up", async () => {
    const schema = `guichet_feedback_test_${randomBytes(6).toString("hex")}`;
    const store = await openFeedbackStore({ backend: "postgres", sqlitePath: "-", databaseUrl: PG_URL, schema, retentionMs: DAY }, logger);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const tables = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", [schema]);
    await client.end();
    await store!.close();
    await dropSchema(schema);
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(["feedback", "runs"]);
  });

  it("opens against a PostgreSQL that is down, and fails each call with FeedbackStoreUnavailableError", async () => {
    const store = await openFeedbackStore(
      { backend: "postgres", sqlitePath: "-", databaseUrl: "postgres://postgres@127.0.0.1:1/test", schema: "guichet_feedback", retentionMs: DAY },
      logger,
      { sweepEveryMs: 0 },
    );
    const error = await store!.rate({ runId: randomUUID() }, "key:alice", { rating: "up" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedbackStoreUnavailableError);
    expect((error as FeedbackStoreUnavailableError).retryAfterS).toBe(5);
    await expect(store!.sweep()).rejects.toBeInstanceOf(FeedbackStoreUnavailableError);
    // Runs are logged on the answer's path: right after a failure they are not even tried.
    const skipped = await store!.recordRun(runAt(Date.now())).catch((e: unknown) => e);
    expect(skipped).toBeInstanceOf(FeedbackStoreUnavailableError);
    expect(((skipped as Error).cause as Error).message).toBe("PostgreSQL failed moments ago");
    await store!.close();
  });
});
