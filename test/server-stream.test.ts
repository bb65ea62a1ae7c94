import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import request from "supertest";
import type { Capabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { createApp } from "../server/app.js";
import { subsetCapabilities } from "./helpers/fixtures.js";
import { llmCapabilities, waitForAborted } from "./helpers/llm.js";
import { chatReply, startScriptedOpenAI, type ScriptedServer } from "./helpers/scripted-openai.js";

const graph = buildGraph();
const QUESTION = "Combien coûte un passeport ?";

function makeApp(capabilities: Capabilities) {
  return createApp({
    graph,
    capabilities,
    logger: pino({ level: "silent" }),
    maxQuestionLength: 500,
    topK: 10,
    maxPerFiche: 2,
    requestTimeoutMs: 5000,
    version: "test",
  });
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)![1]!;
      const data = JSON.parse(/^data: (.+)$/m.exec(block)![1]!) as Record<string, unknown>;
      return { event, data };
    });
}

let scripted: ScriptedServer;
beforeEach(async () => {
  scripted = await startScriptedOpenAI();
});
afterEach(async () => {
  await scripted.close();
});

describe("POST /stream", () => {
  it("streams progress, answer tokens, citations, then the same JSON as /invoke", async () => {
    const app = makeApp(llmCapabilities(scripted));
    const res = await request(app).post("/stream").send({ question: QUESTION });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const events = parseSse(res.text);
    const kinds = events.map((e) => e.event);
    expect(kinds.at(-1)).toBe("final");
    expect(kinds.at(-2)).toBe("citations");
    const progress = events.filter((e) => e.event === "progress").map((e) => `${String(e.data.node)}:${String(e.data.status)}`);
    expect(progress).toEqual([
      "guard:started", "guard:finished", "cache:started", "cache:finished", "understand:started", "understand:finished",
      "retrieve:started", "retrieve:finished",
      // verify is a step inside the answer node (one graph step less per run).
      "answer:started", "verify:started", "verify:finished", "answer:finished",
    ]);
    // Tokens arrive between the start and the end of the answer node.
    const firstToken = kinds.indexOf("token");
    expect(firstToken).toBeGreaterThan(progress.indexOf("answer:started"));
    expect(kinds.lastIndexOf("token")).toBeLessThan(kinds.findIndex((k, i) => k === "progress" && events[i]!.data.node === "answer" && events[i]!.data.status === "finished"));
    const tokens = events.filter((e) => e.event === "token").map((e) => String(e.data.text));
    expect(tokens.length).toBeGreaterThan(3);
    const final = events.at(-1)!.data;
    expect(tokens.join("")).toBe(final.answer);
    expect(events.at(-2)!.data.citations).toEqual(final.citations);
    const invoked = await request(app).post("/invoke").send({ question: QUESTION });
    expect(Object.keys(final).sort()).toEqual(Object.keys(invoked.body as object).sort());
    expect(final.answer).toBe((invoked.body as { answer: string }).answer);
    expect(final.usage).toMatchObject({ total: { input_tokens: 120, output_tokens: 30 } });
  });

  it("never streams an invented phone number; the final answer is the one verify gives /invoke", async () => {
    const app = makeApp(llmCapabilities(scripted));
    const draft = "Le passeport coûte 86 € [1]. Appelez le 06 12 34 56 78 ou écrivez à aide@faux-guichet.fr pour un rendez-vous [1].";
    // Streamed in deltas of 3 characters, so the number and the address arrive in pieces.
    scripted.chat = (body) => ({ ...chatReply(body, draft), ...(body.stream ? { stream: draft.match(/[\s\S]{1,3}/g)! } : {}) });
    const events = parseSse((await request(app).post("/stream").send({ question: QUESTION })).text);
    const tokens = events.filter((e) => e.event === "token").map((e) => String(e.data.text));
    expect(tokens.length).toBeGreaterThan(5);
    for (const token of tokens) expect(token).not.toMatch(/06|12 34|56 78|aide@|faux-guichet/);
    expect(events.some((e) => e.event === "reset")).toBe(false);
    const final = events.at(-1)!.data as { answer: string };
    expect(final.answer).toContain("[numéro retiré]");
    expect(tokens.join("")).toBe(final.answer);
    const invoked = await request(app).post("/invoke").send({ question: QUESTION });
    expect((invoked.body as { answer: string }).answer).toBe(final.answer);
  });

  it("works without a key: progress, the extractive answer as one token, final", async () => {
    const app = makeApp(subsetCapabilities());
    const events = parseSse((await request(app).post("/stream").send({ question: QUESTION })).text);
    const tokens = events.filter((e) => e.event === "token");
    const final = events.at(-1)!;
    expect(final.event).toBe("final");
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.data.text).toBe(final.data.answer);
    expect(final.data.usage).toBeUndefined();
    expect(events.filter((e) => e.event === "progress")).toHaveLength(10);
  });

  it("announces a reset and sends the extractive answer when the endpoint fails mid-stream", async () => {
    const app = makeApp(llmCapabilities(scripted));
    scripted.queue.push({ status: 200, stream: ["Le ", "passeport ", "coûte ", "86 € [1]."], cutAfter: 2 });
    const events = parseSse((await request(app).post("/stream").send({ question: QUESTION })).text);
    const kinds = events.map((e) => e.event);
    expect(kinds).toContain("reset");
    const final = events.at(-1)!.data;
    expect(final.degraded).toEqual(["llm_unavailable"]);
    const beforeReset = events.slice(0, kinds.indexOf("reset")).filter((e) => e.event === "token");
    expect(beforeReset.map((e) => e.data.text)).toEqual(["Le ", "passeport "]);
    const afterReset = events.slice(kinds.indexOf("reset") + 1).filter((e) => e.event === "token");
    expect(afterReset.map((e) => e.data.text).join("")).toBe(final.answer);
  });

  it("answers bad input with a JSON problem, not a stream", async () => {
    const app = makeApp(subsetCapabilities());
    const res = await request(app).post("/stream").send({ question: 42 });
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect((res.body as { detail: string }).detail).toBe("question: must be a string");
  });

  it("sends an error event then closes when the run fails after the stream started", async () => {
    const caps = subsetCapabilities();
    const broken: Capabilities = { ...caps, answerer: { name: "broken", answer: () => Promise.reject(new Error("boom")) } };
    const res = await request(makeApp(broken)).post("/stream").send({ question: QUESTION });
    const events = parseSse(res.text);
    expect(events.at(-1)!.event).toBe("error");
    expect(events.at(-1)!.data).toMatchObject({ status: 500, type: "urn:guichet:problem:internal" });
    expect(res.text).not.toContain("boom");
  });

  it("cancels the run and the upstream LLM request when the client disconnects", async () => {
    const app = makeApp(llmCapabilities(scripted));
    scripted.queue.push({ status: 200, stream: ["Le ", "passeport ", "coûte ", "86 € ", "[1]."], chunkDelayMs: 300 });
    const http: Server = app.listen(0, "127.0.0.1");
    await new Promise((r) => http.once("listening", r));
    const { port } = http.address() as AddressInfo;
    try {
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question: QUESTION }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let seen = "";
      while (!seen.includes("event: token")) seen += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      expect(await waitForAborted(scripted)).toContain("/v1/chat/completions");
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});

describe("POST /invoke", () => {
  it("cancels the upstream LLM request when the client disconnects", async () => {
    const app = makeApp(llmCapabilities(scripted));
    scripted.queue.push({ status: 200, hang: true });
    const http: Server = app.listen(0, "127.0.0.1");
    await new Promise((r) => http.once("listening", r));
    const { port } = http.address() as AddressInfo;
    try {
      const controller = new AbortController();
      const pending = fetch(`http://127.0.0.1:${port}/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question: QUESTION }),
        signal: controller.signal,
      });
      // The model request is in flight (and hangs): now the client goes away.
      const until = Date.now() + 2000;
      while (scripted.requests.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(scripted.requests.map((r) => r.path)).toEqual(["/v1/chat/completions"]);
      controller.abort();
      await expect(pending).rejects.toThrow();
      expect(await waitForAborted(scripted)).toEqual(["/v1/chat/completions"]);
      // Cancelled, not retried: the endpoint saw one request.
      expect(scripted.requests).toHaveLength(1);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});
