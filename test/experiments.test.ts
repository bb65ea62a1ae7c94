import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import request from "supertest";
import { buildGraph } from "../graphs/guichet.js";
import { createApp } from "../server/app.js";
import { createAnswerCache } from "../tools/cache/create.js";
import { loadConfig } from "../tools/config.js";
import { assignVariant, loadExperiment, type Experiment } from "../tools/experiments/experiment.js";
import { ExperimentRunner, prepareVariant } from "../tools/experiments/variant-capabilities.js";
import { authSettings } from "../tools/security-config.js";
import { registry } from "../tools/telemetry/metrics.js";
import { subsetCapabilities, tempDir } from "./helpers/fixtures.js";
import { llmCapabilities } from "./helpers/llm.js";
import { startScriptedOpenAI } from "./helpers/scripted-openai.js";

const experiment = (variants: Experiment["variants"]): Experiment => ({ experiment: "test-exp", variants });

describe("experiment files", () => {
  const dir = tempDir("guichet-experiments-");
  const write = (name: string, body: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body));
    return file;
  };

  it("reads the committed experiment, whose variants all run on the offline capabilities but hybrid", () => {
    const committed = loadExperiment("experiments/variants.json");
    expect(Object.keys(committed.variants)).toEqual(expect.arrayContaining(["control", "rerank-fiche", "bm25-only", "hybrid"]));
    const caps = subsetCapabilities();
    for (const [name, v] of Object.entries(committed.variants)) {
      if (name === "hybrid" && !caps.search.dense) expect(() => prepareVariant(name, v.config, caps)).toThrow(/needs the dense index/);
      else expect(prepareVariant(name, v.config, caps).name).toBe(name);
    }
  });

  it("says what is wrong in a bad file", () => {
    expect(() => loadExperiment(write("a.json", "{"))).toThrow(/a.json: cannot read the experiment/);
    expect(() => loadExperiment(write("b.json", { experiment: "Bad Name", variants: {} }))).toThrow(/experiment: must be lower-case.*variants: at least one variant/);
    expect(() => loadExperiment(write("c.json", { experiment: "x", variants: { a: { weight: 0, config: {} } } }))).toThrow(/at least one variant needs a weight above 0/);
    expect(() => loadExperiment(write("d.json", { experiment: "x", variants: { a: { weight: 1, config: { top_k: 0 } } } }))).toThrow(/variants.a.config.top_k/);
    expect(() => loadExperiment(write("e.json", { experiment: "x", variants: { a: { weight: 1, config: { temperature: 2 } } } }))).toThrow(/Unrecognized key/);
    expect(() => loadExperiment(write("f.json", { experiment: "x", variants: { a: { weight: 1, config: { prompt: "answer.v99" } } } }))).toThrow(/no such file in prompts/);
  });
});

describe("assignVariant", () => {
  const exp = experiment({ a: { weight: 70, config: {} }, b: { weight: 30, config: {} }, offline: { weight: 0, config: {} } });

  it("is deterministic per unit and follows the weights; a weight of 0 is never assigned", () => {
    expect(assignVariant(exp, "alice")).toBe(assignVariant(exp, "alice"));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const v = assignVariant(exp, `unit-${i}`);
      counts[v] = (counts[v] ?? 0) + 1;
    }
    expect(counts.offline).toBeUndefined();
    expect(counts.a! / 10_000).toBeGreaterThan(0.68);
    expect(counts.a! / 10_000).toBeLessThan(0.72);
    // Another experiment name reshuffles the units.
    const other = { ...exp, experiment: "other" };
    const moved = Array.from({ length: 200 }, (_, i) => `u${i}`).filter((u) => assignVariant(exp, u) !== assignVariant(other, u));
    expect(moved.length).toBeGreaterThan(20);
    expect(createHash("sha256").update("test-exp\nalice").digest().readUInt32BE(0) / 2 ** 32 < 0.7 ? "a" : "b").toBe(assignVariant(exp, "alice"));
  });
});

describe("prepareVariant", () => {
  it("changes the retriever, the tunables and the cache as the variant says", () => {
    const base = subsetCapabilities();
    base.answerCache = createAnswerCache(loadConfig({ GUICHET_CACHE: "memory" }), base, pino({ level: "silent" }));
    const none = prepareVariant("none", { rerank: "none", rrf_k: 10, top_k: 5 }, base);
    expect(none.capabilities.search.reranker).toBeUndefined();
    expect(none.capabilities.search.options.rrfK).toBe(10);
    expect(none.capabilities.search.lexical).toBe(base.search.lexical);
    expect(none.configuration).toEqual({ topK: 5 });
    expect(none.capabilities.answerCache!.options.namespace).not.toBe(base.answerCache!.options.namespace);
    expect(none.capabilities.answerCache!.backend).toBe(base.answerCache!.backend);
    expect(prepareVariant("fiche", { rerank: "fiche" }, base).capabilities.search.reranker?.constructor.name).toBe("FicheBm25Reranker");
    expect(prepareVariant("off", { cache: false }, base).capabilities.answerCache).toBeUndefined();
    expect(prepareVariant("same", {}, base).capabilities.search).toBe(base.search);
    expect(() => prepareVariant("llm", { answerer: "llm" }, base)).toThrow(/variant llm: an LLM answer needs OPENAI_API_KEY/);
    expect(() => prepareVariant("x", { answerer: "extractive", prompt: "answer.v1" }, base)).toThrow(/a prompt is for the llm answerer/);
  });

  it("switches the answerer and the prompt of an LLM deployment", async () => {
    const server = await startScriptedOpenAI();
    try {
      const base = llmCapabilities(server);
      expect(prepareVariant("extractive", { answerer: "extractive" }, base).capabilities.grounded).toBeUndefined();
      const prompted = prepareVariant("prompted", { prompt: "answer.v1" }, base).capabilities.grounded!;
      expect(prompted).not.toBe(base.grounded);
      expect(prompted.prompt.version).toBe("answer.v1");
    } finally {
      await server.close();
    }
  });
});

describe("an experiment behind the HTTP API", () => {
  const KEY_A = "gch_test-key-alice-0123456789";
  const KEY_B = "gch_test-key-bob-0123456789abc";
  const digest = (key: string) => createHash("sha256").update(key).digest("hex");

  it("gives each caller its variant, says it in the response and counts runs per variant", async () => {
    const caps = subsetCapabilities();
    // Two variants with weights 1 and 0: everyone gets `bm25`, `fiche` exists for offline comparisons only.
    const runner = new ExperimentRunner(experiment({ bm25: { weight: 1, config: { rerank: "none" } }, fiche: { weight: 0, config: { rerank: "fiche" } } }), caps, assignVariant);
    const auth = authSettings({ NODE_ENV: "test", GUICHET_API_KEYS: JSON.stringify([{ name: "alice", sha256: digest(KEY_A) }, { name: "bob", sha256: digest(KEY_B) }]) });
    const app = createApp({ graph: buildGraph(), capabilities: caps, logger: pino({ level: "silent" }), maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 10_000, version: "0", auth, experiment: runner });
    const before = await runsOf("bm25");
    for (const key of [KEY_A, KEY_B]) {
      const res = await request(app).post("/invoke").set("X-API-Key", key).send({ question: "Comment fonctionne le bonus-malus ?" }).expect(200);
      expect(res.body.variant).toBe("bm25");
    }
    expect((await runsOf("bm25")) - before).toBe(2);
    const plain = await request(createApp({ graph: buildGraph(), capabilities: caps, logger: pino({ level: "silent" }), maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 10_000, version: "0" }))
      .post("/invoke")
      .send({ question: "Comment fonctionne le bonus-malus ?" })
      .expect(200);
    expect(plain.body.variant).toBeUndefined();
  });
});

async function runsOf(variant: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "guichet_runs_total")!;
  return (metric.values as Array<{ labels: Record<string, string | number>; value: number }>).filter((v) => v.labels.variant === variant).reduce((s, v) => s + v.value, 0);
}
