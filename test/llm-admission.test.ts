import request from "supertest";
import { buildGraph } from "../graphs/guichet.js";
import { createApp } from "../server/app.js";
import { LlmAdmission, LoadShedError } from "../tools/llm/admission.js";
import { createLogger } from "../tools/logger.js";
import { subsetCapabilities } from "./helpers/fixtures.js";
import { llmCapabilities } from "./helpers/llm.js";
import { chatReply, startScriptedOpenAI, type ScriptedServer } from "./helpers/scripted-openai.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("LLM admission queue", () => {
  it("lets `concurrency` runs work, queues the next ones and sheds beyond the queue, by reason", async () => {
    const shed: string[] = [];
    const admission = new LlmAdmission({ concurrency: 2, queueLength: 1, minRemainingMs: 10 }, (reason) => shed.push(reason));
    const first = await admission.admit();
    const second = await admission.admit();
    const third = admission.admit();
    await sleep(5);
    expect(admission.status()).toMatchObject({ active: 2, queued: 1 });
    const fourth = admission.admit().catch((error: unknown) => error);
    const rejected = await fourth;
    expect(rejected).toBeInstanceOf(LoadShedError);
    expect(rejected).toMatchObject({ reason: "queue_full" });
    expect((rejected as LoadShedError).retryAfterS).toBeGreaterThanOrEqual(1);
    first();
    const released = await third;
    second();
    released();
    await sleep(5);
    expect(shed).toEqual(["queue_full"]);
    expect(admission.status()).toMatchObject({ active: 0, queued: 0, shed: { queue_full: 1, deadline: 0 } });
  });

  it("sheds a queued run whose deadline would pass before it could work, at once rather than at its turn", async () => {
    const admission = new LlmAdmission({ concurrency: 1, queueLength: 5, minRemainingMs: 50 });
    const holder = await admission.admit();
    const started = Date.now();
    const late = await admission.admit(Date.now() + 80).catch((error: unknown) => error);
    expect(late).toMatchObject({ reason: "deadline" });
    expect(Date.now() - started).toBeLessThan(70);
    holder();
    // A run whose deadline is already too close is shed without taking a slot.
    expect(await admission.admit(Date.now() + 10).catch((error: unknown) => error)).toMatchObject({ reason: "deadline" });
    const next = await admission.admit(Date.now() + 5_000);
    next();
  });
});

describe("bursts through the API", () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startScriptedOpenAI();
  });
  afterAll(() => server.close());

  it("a burst at three times the queue's capacity gets 200s and 503s with Retry-After, nothing else; offline runs never wait", async () => {
    server.chat = (body) => ({ ...chatReply(body, "Le passeport coûte 86 € [1]."), delayMs: 150 });
    const capabilities = llmCapabilities(server);
    capabilities.llmAdmission = new LlmAdmission({ concurrency: 2, queueLength: 2, minRemainingMs: 100 });
    const options = {
      graph: buildGraph(),
      logger: createLogger("silent"),
      maxQuestionLength: 500,
      topK: 10,
      maxPerFiche: 2,
      requestTimeoutMs: 10_000,
      version: "0",
    };
    const app = createApp({ ...options, capabilities });
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => request(app).post("/invoke").send({ question: "Combien coûte un passeport ?" })),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
    const shed = burst.filter((r) => r.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    for (const r of shed) {
      expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ type: "urn:guichet:problem:overloaded", status: 503 });
    }
    expect(capabilities.llmAdmission.status()).toMatchObject({ active: 0 });

    // The offline app under the same burst: nothing is queued, nothing shed.
    const offline = createApp({ ...options, capabilities: subsetCapabilities() });
    const calm = await Promise.all(
      Array.from({ length: 12 }, () => request(offline).post("/invoke").send({ question: "Combien coûte un passeport ?" })),
    );
    expect(calm.map((r) => r.status)).toEqual(Array(12).fill(200));
  });

  it("a shed /stream run is a plain 503 problem, not a stream that opens and fails", async () => {
    server.chat = (body) => ({ ...chatReply(body, "Le passeport coûte 86 € [1]."), delayMs: 300 });
    const capabilities = llmCapabilities(server);
    capabilities.llmAdmission = new LlmAdmission({ concurrency: 1, queueLength: 0, minRemainingMs: 100 });
    const app = createApp({
      graph: buildGraph(), capabilities, logger: createLogger("silent"), maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 10_000, version: "0",
    });
    const holder = request(app).post("/invoke").send({ question: "Combien coûte un passeport ?" }).then((r) => r);
    while (capabilities.llmAdmission.status().active === 0) await new Promise((r) => setTimeout(r, 5));
    const shed = await request(app).post("/stream").send({ question: "Comment refaire une carte grise ?" });
    expect(shed.status).toBe(503);
    expect(shed.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(Number(shed.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(shed.body).toMatchObject({ type: "urn:guichet:problem:overloaded", status: 503 });
    expect((await holder).status).toBe(200);
    // Admitted, the stream opens and carries the run's progress from the guard on.
    const streamed = await request(app).post("/stream").send({ question: "Comment refaire une carte grise ?" });
    expect(streamed.status).toBe(200);
    expect(streamed.text.indexOf("event: progress")).toBe(0);
    expect(streamed.text).toContain('"node":"guard"');
    expect(streamed.text).toContain("event: final");
  });

  it("/ready reports each dependency", async () => {
    const capabilities = llmCapabilities(server);
    capabilities.llmAdmission = new LlmAdmission({ concurrency: 2, queueLength: 2, minRemainingMs: 100 });
    const app = createApp({
      graph: buildGraph(), capabilities, logger: createLogger("silent"), maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 5000, version: "0",
    });
    const res = await request(app).get("/ready");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ready: true,
      checks: {
        index: { status: "ok" },
        cache: { status: "off" },
        redis: { status: "off" },
        llm: { status: "ok", breaker: "closed" },
        queue: { status: "ok", concurrency: 2, active: 0, queued: 0 },
      },
    });
  });
});
