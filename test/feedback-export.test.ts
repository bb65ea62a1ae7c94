import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { feedbackExportMain } from "../cli/feedback-export.js";
import { loadDataset } from "../evals/dataset.js";
import { openFeedbackStore } from "../tools/feedback/store.js";
import type { FeedbackConfig, FeedbackStore, NewFeedback, RunRecord } from "../tools/feedback/types.js";
import { createLogger } from "../tools/logger.js";
import { tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

const logger = createLogger("silent");
const PG_URL = "postgres://postgres@127.0.0.1:5432/test";

let dir: string;
let env: NodeJS.ProcessEnv;
let store: FeedbackStore;

const runOf = (over: Partial<RunRecord> = {}): RunRecord => ({
  runId: randomUUID(),
  traceId: randomBytes(16).toString("hex"),
  caller: "key:alice",
  question: "Combien coûte un passeport ? mon mail est [EMAIL]",
  language: "fr",
  passageIds: ["F34752#0", "F14929#2"],
  citedFiches: ["F34752"],
  answer: "Le passeport d'un majeur coûte 86 € [1].",
  latencyMs: 8,
  createdAt: Date.now(),
  ...over,
});

/** Records a run and its rating; returns the feedback id. */
async function rated(s: FeedbackStore, feedback: NewFeedback, run: Partial<RunRecord> = {}): Promise<string> {
  const record = runOf(run);
  await s.recordRun(record);
  const outcome = await s.rate({ runId: record.runId }, record.caller, feedback);
  if (outcome.status !== "recorded") throw new Error(`not rated: ${outcome.status}`);
  return outcome.feedbackId;
}

async function cli(argv: string[], withEnv: NodeJS.ProcessEnv = env) {
  const io = memoryIo(withEnv);
  const code = await feedbackExportMain(argv, io);
  return { code, out: io.out(), err: io.err() };
}

const jsonLines = (text: string) => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  dir = tempDir("guichet-feedback-export-");
  env = { GUICHET_FEEDBACK_SQLITE: join(dir, "feedback.sqlite") };
  store = (await openFeedbackStore(
    { backend: "sqlite", sqlitePath: env.GUICHET_FEEDBACK_SQLITE!, schema: "x", retentionMs: 30 * 86_400_000 },
    logger,
    { sweepEveryMs: 0 },
  ))!;
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run feedback:export", () => {
  let up: string;
  let upUncited: string;
  let down: string;
  let outOfScope: string;
  let followUp: string;
  let pending: string;

  beforeAll(async () => {
    up = await rated(store, { rating: "up" }, { variant: "b" });
    upUncited = await rated(store, { rating: "up", reason: "incomplete" }, { citedFiches: [], passageIds: ["F1344#1", "F1344#4", "F35005#0"] });
    down = await rated(store, { rating: "down", reason: "wrong", comment: "c'est pour une carte d'identité, écrire à [EMAIL]" });
    outOfScope = await rated(store, { rating: "down", reason: "off_topic" }, { question: "Quel temps fera-t-il demain ?" });
    followUp = await rated(store, { rating: "up" }, { question: "et pour un mineur ?", understoodAs: "Combien coûte un passeport pour un mineur ?" });
    pending = await rated(store, { rating: "up" });
  });

  it("lists the ratings waiting for review, without who rated them", async () => {
    const { code, out } = await cli(["--pending"]);
    expect(code).toBe(0);
    const lines = jsonLines(out);
    expect(lines.map((l) => l.feedback_id).sort()).toEqual([up, upUncited, down, outOfScope, followUp, pending].sort());
    expect(lines.find((l) => l.feedback_id === down)).toEqual({
      feedback_id: down,
      rating: "down",
      reason: "wrong",
      comment: "c'est pour une carte d'identité, écrire à [EMAIL]",
      question: "Combien coûte un passeport ? mon mail est [EMAIL]",
      language: "fr",
      answer: "Le passeport d'un majeur coûte 86 € [1].",
      cited: ["F34752"],
      passages: ["F34752#0", "F14929#2"],
      rated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(out).not.toContain("key:alice");
  });

  it("refuses to mark a rating down reviewed without the reviewer's gold, and unknown ids, marking nothing", async () => {
    const noGold = await cli(["--review", up, down]);
    expect(noGold.code).toBe(2);
    expect(noGold.err).toContain(`--expected-fiche or --out-of-scope for ${down}`);
    const unknown = await cli(["--review", up, randomUUID()]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no such feedback/);
    expect(await store.list("reviewed")).toEqual([]);
  });

  it("turns the reviewed ratings into eval candidates that the eval loader reads", async () => {
    expect((await cli(["--review", up, upUncited, followUp])).code).toBe(0);
    expect((await cli(["--review", down, "--expected-fiche", "F1344", "F21089"])).code).toBe(0);
    const marked = await cli(["--review", outOfScope, "--out-of-scope"]);
    expect(marked).toMatchObject({ code: 0, err: "1 rating marked reviewed\n" });
    const out = join(dir, "candidates.jsonl");
    const written = await cli(["--out", out]);
    expect(written).toMatchObject({ code: 0, out: "", err: `5 eval candidates written to ${out}\n` });

    // Ratings made within the same millisecond come in feedback id order: compare as sets.
    const items = loadDataset(out);
    expect(Object.fromEntries(items.map((i) => [i.id, i.gold]))).toEqual({
      [`feedback-${up}`]: ["F34752"],
      [`feedback-${upUncited}`]: ["F1344", "F35005"],
      [`feedback-${down}`]: ["F1344", "F21089"],
      [`feedback-${outOfScope}`]: [],
      [`feedback-${followUp}`]: ["F34752"],
    });
    const lines = jsonLines(readFileSync(out, "utf8"));
    const line = (feedbackId: string) => lines.find((l) => l.feedback_id === feedbackId);
    expect(line(up)).toEqual({
      id: `feedback-${up}`,
      question: "Combien coûte un passeport ? mon mail est [EMAIL]",
      gold: ["F34752"],
      style: "feedback",
      lang: "fr",
      unreviewed: true,
      rating: "up",
      cited: ["F34752"],
      variant: "b",
      feedback_id: up,
      run_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      rated_at: expect.stringMatching(/^\d{4}-/),
    });
    expect(line(down)).toMatchObject({ rating: "down", reason: "wrong", comment: "c'est pour une carte d'identité, écrire à [EMAIL]" });
    expect(line(followUp)).toMatchObject({ question: "Combien coûte un passeport pour un mineur ?", asked: "et pour un mineur ?" });
    expect(lines.map((l) => l.feedback_id)).not.toContain(pending);
    expect(readFileSync(out, "utf8")).not.toContain("key:alice");

    const toStdout = await cli([]);
    expect(toStdout.code).toBe(0);
    expect(jsonLines(toStdout.out)).toEqual(lines);
  });

  it.each([
    [["--expected-fiche", "F1344"], /go with --review/],
    [["--review", "x", "--expected-fiche", "F1", "--out-of-scope"], /usage/],
    [["--pending", "--out", "f.jsonl"], /usage/],
    [["--review", "x", "--expected-fiche", "F 1"], /is not a fiche id/],
    [["surplus"], /too many arguments|unknown/i],
  ])("refuses %j", async (argv, message) => {
    const { code, err } = await cli(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it("says so when feedback is off or misconfigured", async () => {
    expect(await cli([], { GUICHET_FEEDBACK: "off" })).toMatchObject({ code: 2, err: expect.stringMatching(/feedback is off/) });
    expect(await cli([], { GUICHET_FEEDBACK: "postgres" })).toMatchObject({
      code: 2,
      err: expect.stringMatching(/GUICHET_FEEDBACK: "postgres" needs DATABASE_URL/),
    });
  });

  it("fails with exit code 1 when the store is unreachable", async () => {
    const { code, err } = await cli(["--pending"], { GUICHET_FEEDBACK: "postgres", DATABASE_URL: "postgres://postgres@127.0.0.1:1/test" });
    expect(code).toBe(1);
    expect(err).toMatch(/the feedback store is unreachable/);
  });
});

describe("npm run feedback:export on PostgreSQL", () => {
  const schema = `guichet_feedback_test_${randomBytes(6).toString("hex")}`;
  const pgEnv = { GUICHET_FEEDBACK: "postgres", DATABASE_URL: PG_URL, GUICHET_FEEDBACK_SCHEMA: schema };
  let reachable = true;

  beforeAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
    await client.connect().catch((error: Error) => {
      reachable = false;
      console.warn(`feedback-export: the PostgreSQL case is skipped, ${PG_URL} is unreachable (${error.message})`);
    });
    await client.end().catch(() => undefined);
  });
  afterAll(async () => {
    if (!reachable) return;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it("reviews and exports from the store the environment names", async () => {
    if (!reachable) return;
    const config: FeedbackConfig = { backend: "postgres", sqlitePath: "-", databaseUrl: PG_URL, schema, retentionMs: 86_400_000 };
    const pgStore = (await openFeedbackStore(config, logger, { sweepEveryMs: 0 }))!;
    const id = await rated(pgStore, { rating: "down", reason: "outdated" });
    await pgStore.close();
    expect((await cli(["--review", id, "--expected-fiche", "F14929"], pgEnv)).code).toBe(0);
    const { code, out } = await cli([], pgEnv);
    expect(code).toBe(0);
    expect(jsonLines(out)).toEqual([expect.objectContaining({ id: `feedback-${id}`, gold: ["F14929"], reason: "outdated", unreviewed: true })]);
  });
});
