import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import request from "supertest";
import type { Capabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { createApp, type AppOptions } from "../server/app.js";
import { createRateLimiter } from "../server/rate-limit.js";
import { openFeedbackStore } from "../tools/feedback/store.js";
import type { FeedbackStore } from "../tools/feedback/types.js";
import { authSettings } from "../tools/security-config.js";
import { registry } from "../tools/telemetry/metrics.js";
import { subsetCapabilities, tempDir } from "./helpers/fixtures.js";

const KEY_ALICE = "gch_feedback-test-key-alice";
const KEY_BOB = "gch_feedback-test-key-bob";
const digest = (key: string) => createHash("sha256").update(key).digest("hex");
const auth = authSettings({
  NODE_ENV: "test",
  GUICHET_API_KEYS: JSON.stringify([
    { name: "alice", sha256: digest(KEY_ALICE) },
    { name: "bob", sha256: digest(KEY_BOB) },
  ]),
});
const EMAIL = "jean.dupont@example.fr";
const PHONE = "06 12 34 56 78";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const graph = buildGraph();
let capabilities: Capabilities;
let dir: string;
let store: FeedbackStore;
/** Every log line the apps wrote. */
const logged: string[] = [];
const logger = pino({ level: "info" }, new Writable({ write: (chunk, _encoding, done) => void (logged.push(String(chunk)), done()) }));

function appWith(overrides: Partial<AppOptions> = {}) {
  return createApp({
    graph, capabilities, logger, maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 10_000, version: "0", auth, feedback: store,
    ...overrides,
  });
}

const ask = (app: ReturnType<typeof appWith>, question: string, key = KEY_ALICE) =>
  request(app).post("/invoke").set("X-API-Key", key).send({ question });
const rate = (app: ReturnType<typeof appWith>, body: unknown, key = KEY_ALICE) =>
  request(app).post("/feedback").set("X-API-Key", key).set("Content-Type", "application/json").send(body as object);

function expectProblem(res: request.Response, status: number, slug: string): string {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(res.body.type).toBe(`urn:guichet:problem:${slug}`);
  return res.body.detail as string;
}

/** What a look at the SQLite files would see. */
const onDisk = () => readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("\n");

async function metric(name: string): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  return [...text.matchAll(/^\S+ (\S+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

beforeAll(async () => {
  capabilities = subsetCapabilities();
  dir = tempDir("guichet-feedback-route-");
  store = (await openFeedbackStore(
    { backend: "sqlite", sqlitePath: join(dir, "feedback.sqlite"), schema: "x", retentionMs: 86_400_000 },
    logger,
    { sweepEveryMs: 0 },
  ))!;
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("POST /feedback", () => {
  it("lets the caller rate its answer once; the question is kept redacted and the comment redacted, never logged", async () => {
    const app = appWith();
    const answered = await ask(app, `Combien coûte un passeport ? mon mail est ${EMAIL}`);
    expect(answered.status).toBe(200);
    expect(answered.body.redacted).toEqual(["EMAIL"]);
    expect(answered.body.run_id).toMatch(UUID);
    const comment = `  Le tarif a changé, écrivez-moi à ${EMAIL} ou au ${PHONE}  `;
    const rated = await rate(app, { run_id: answered.body.run_id, rating: "down", reason: "outdated", comment });
    expect(rated.status).toBe(201);
    expect(rated.body).toEqual({ feedback_id: expect.stringMatching(UUID), run_id: answered.body.run_id, rating: "down" });

    const entry = (await store.list("all")).find((e) => e.feedbackId === rated.body.feedback_id)!;
    expect(entry.comment).toBe("Le tarif a changé, écrivez-moi à [EMAIL] ou au [TELEPHONE]");
    expect(entry.run).toMatchObject({
      runId: answered.body.run_id,
      traceId: answered.body.trace_id,
      caller: "key:alice",
      question: "Combien coûte un passeport ? mon mail est [EMAIL]",
      language: "fr",
      answer: answered.body.answer,
      citedFiches: answered.body.citations.map((c: { id: string }) => c.id),
    });
    expect(entry.run.passageIds.length).toBeGreaterThan(0);
    expect(entry.run.passageIds[0]).toMatch(/^F\d+#\d+$/);
    expect(entry.run.latencyMs).toBe(answered.body.timings.total);
    expect(onDisk()).not.toContain(EMAIL);
    expect(onDisk()).not.toContain(PHONE);
    expect(logged.join("")).not.toContain("écrivez-moi");

    const again = await rate(app, { run_id: answered.body.run_id, rating: "up" });
    expect(expectProblem(again, 409, "already-rated")).toContain(answered.body.run_id);
  });

  it("answers another caller's run, an unknown run and an expired one with the same 404", async () => {
    const app = appWith();
    const answered = await ask(app, "Comment refaire une carte d'identité perdue ?");
    const others = expectProblem(await rate(app, { run_id: answered.body.run_id, rating: "up" }, KEY_BOB), 404, "run-not-found");
    const unknownId = randomUUID();
    const unknown = expectProblem(await rate(app, { run_id: unknownId, rating: "up" }), 404, "run-not-found");
    expect(others.replace(answered.body.run_id, "ID")).toBe(unknown.replace(unknownId, "ID"));
    // Bob's try did not use up Alice's rating.
    expect((await rate(app, { run_id: answered.body.run_id, rating: "up" })).status).toBe(201);

    const later = await openFeedbackStore(
      { backend: "sqlite", sqlitePath: join(dir, "feedback.sqlite"), schema: "x", retentionMs: 86_400_000 },
      logger,
      { sweepEveryMs: 0, now: () => Date.now() + 2 * 86_400_000 },
    );
    const expiredApp = appWith({ feedback: later! });
    const fresh = await ask(appWith(), "Combien coûte un permis de conduire ?");
    expectProblem(await rate(expiredApp, { run_id: fresh.body.run_id, rating: "up" }), 404, "run-not-found");
    await later!.close();
  });

  it("finds the run by trace_id, in upper or lower case run_id alike", async () => {
    const app = appWith();
    const first = await ask(app, "Comment déclarer la perte de ma carte Vitale ?");
    const byTrace = await rate(app, { trace_id: first.body.trace_id, rating: "up", reason: "other" });
    expect(byTrace.status).toBe(201);
    expect(byTrace.body.run_id).toBe(first.body.run_id);
    const second = await ask(app, "Combien coûte un passeport ?");
    const upper = await rate(app, { run_id: String(second.body.run_id).toUpperCase(), rating: "up" });
    expect(upper.status).toBe(201);
    expect(upper.body.run_id).toBe(second.body.run_id);
  });

  it("puts run_id in the final event of /stream, and the run can be rated", async () => {
    const app = appWith();
    const res = await request(app).post("/stream").set("X-API-Key", KEY_ALICE).send({ question: "Combien coûte un passeport ?" });
    expect(res.status).toBe(200);
    const final = /event: final\ndata: (.*)\n\n/.exec(res.text);
    const body = JSON.parse(final![1]!) as { run_id: string };
    expect(body.run_id).toMatch(UUID);
    expect((await rate(app, { run_id: body.run_id, rating: "up" })).status).toBe(201);
  });

  it.each([
    ["no run", { rating: "up" }, /^run_id: is required \(or trace_id\)$/],
    ["both run_id and trace_id", { run_id: randomUUID(), trace_id: "a".repeat(32), rating: "up" }, /^trace_id: give run_id or trace_id, not both$/],
    ["a run_id that is no UUID", { run_id: "run-1", rating: "up" }, /^run_id: must be the run_id of an answer \(a UUID\)$/],
    ["a trace_id that is no trace id", { trace_id: "xyz", rating: "up" }, /^trace_id: must be the trace_id of an answer/],
    ["no rating", { run_id: randomUUID() }, /^rating: is required$/],
    ["an unknown rating", { run_id: randomUUID(), rating: "meh" }, /^rating: must be "up" or "down"$/],
    ["an unknown reason", { run_id: randomUUID(), rating: "down", reason: "slow" }, /^reason: must be one of wrong, incomplete, outdated, unclear, off_topic, other$/],
    ["a comment that is no string", { run_id: randomUUID(), rating: "down", comment: 3 }, /^comment: must be a string$/],
    ["a comment too long", { run_id: randomUUID(), rating: "down", comment: "é".repeat(501) }, /^comment: must be at most 500 characters$/],
    ["several mistakes", { rating: 1, reason: "x" }, /^rating: .+; reason: .+; run_id: is required/],
    ["an array", [{ rating: "up" }], /^the request body must be a JSON object$/],
  ])("answers a body with %s with a 400 naming the field", async (_what, body, detail) => {
    expect(expectProblem(await rate(appWith(), body), 400, "invalid-request")).toMatch(detail);
  });

  it("accepts a comment of 500 characters once trimmed, and drops an empty one", async () => {
    const app = appWith();
    const a = await ask(app, "Combien coûte un passeport ?");
    expect((await rate(app, { run_id: a.body.run_id, rating: "down", comment: `   ${"x".repeat(500)}   ` })).status).toBe(201);
    const b = await ask(app, "Combien coûte un passeport ?");
    const rated = await rate(app, { run_id: b.body.run_id, rating: "up", comment: "   " });
    expect(rated.status).toBe(201);
    expect((await store.list("all")).find((e) => e.feedbackId === rated.body.feedback_id)?.comment).toBeUndefined();
  });

  it("needs credentials and JSON, as /invoke does", async () => {
    const app = appWith();
    expectProblem(await request(app).post("/feedback").send({ run_id: randomUUID(), rating: "up" }), 401, "unauthorized");
    const text = await request(app).post("/feedback").set("X-API-Key", KEY_ALICE).set("Content-Type", "text/plain").send("up");
    expectProblem(text, 400, "unsupported-media-type");
    expectProblem(await request(app).get("/feedback").set("X-API-Key", KEY_ALICE), 405, "method-not-allowed");
  });

  it("counts against the caller's rate limit", async () => {
    const rateLimiter = await createRateLimiter({ perMinute: 2, prefix: "t:", logger });
    const app = appWith({ rateLimiter });
    const answered = await ask(app, "Combien coûte un passeport ?");
    expect((await rate(app, { run_id: answered.body.run_id, rating: "up" })).status).toBe(201);
    expectProblem(await rate(app, { run_id: answered.body.run_id, rating: "up" }), 429, "rate-limited");
    await rateLimiter.close();
  });

  it("lets every anonymous caller rate as the one anonymous caller when authentication is off", async () => {
    const app = appWith({ auth: { enabled: false, apiKeys: [] } });
    const answered = await request(app).post("/invoke").send({ question: "Combien coûte un passeport ?" });
    const rated = await request(app).post("/feedback").send({ run_id: answered.body.run_id, rating: "up" });
    expect(rated.status).toBe(201);
    expect((await store.list("all")).find((e) => e.feedbackId === rated.body.feedback_id)?.run.caller).toBe("anonymous");
  });
});

describe("feedback off or its store down", () => {
  it("answers without run_id and /feedback with a feedback-off problem when feedback is off", async () => {
    const app = appWith({ feedback: undefined });
    const answered = await ask(app, "Combien coûte un passeport ?");
    expect(answered.status).toBe(200);
    expect(answered.body).not.toHaveProperty("run_id");
    expectProblem(await rate(app, { run_id: randomUUID(), rating: "up" }), 404, "feedback-off");
  });

  it.each(["sqlite", "postgres"] as const)("still answers when the %s run log fails (warned, counted), and /feedback is a 503", async (backend) => {
    const down = (await openFeedbackStore(
      { backend, sqlitePath: join(dir, "down.sqlite"), databaseUrl: "postgres://postgres@127.0.0.1:1/test", schema: "x", retentionMs: 86_400_000 },
      pino({ level: "silent" }),
      { sweepEveryMs: 0 },
    ))!;
    if (backend === "sqlite") await down.close();
    const app = appWith({ feedback: down });
    const failures = await metric("guichet_run_log_failures_total");
    logged.length = 0;
    const answered = await ask(app, "Combien coûte un passeport ?");
    expect(answered.status).toBe(200);
    expect(answered.body.answer).toMatch(/86 €/);
    expect(answered.body).not.toHaveProperty("run_id");
    expect(await metric("guichet_run_log_failures_total")).toBe(failures + 1);
    expect(logged.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      "feedback: run not logged; answered without run_id",
    ]);
    const res = await rate(app, { trace_id: randomBytes(16).toString("hex"), rating: "up" });
    expectProblem(res, 503, "feedback-unavailable");
    expect(res.headers["retry-after"]).toBe("5");
    await down.close();
  });
});
