import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";
import type { Capabilities } from "../graphs/capabilities.js";
import { ExtractiveAnswerer } from "../tools/answer/extractive.js";
import { subsetCapabilities } from "./helpers/fixtures.js";
import { chatRequests, llmCapabilities, waitForAborted } from "./helpers/llm.js";
import { chatReply, startScriptedOpenAI, type ChatRequestBody, type ScriptedServer } from "./helpers/scripted-openai.js";

const graph = buildGraph();
const QUESTION = "Combien coûte un passeport ?";
let server: ScriptedServer;

beforeEach(async () => {
  server = await startScriptedOpenAI();
});
afterEach(async () => {
  await server.close();
});

async function extractiveFor(caps: Capabilities, question: string) {
  const offline = await runGuichet(graph, { question }, { capabilities: subsetCapabilities() });
  expect(caps.answerer).toBeInstanceOf(ExtractiveAnswerer);
  return offline;
}

describe("answer agent with an LLM", () => {
  it("returns the model's grounded answer with its citations, usage and cost", async () => {
    const caps = llmCapabilities(server);
    server.chat = (body) => chatReply(body, "Le passeport coûte 86 € [1]. Il se demande en mairie [2].", { prompt_tokens: 1000, completion_tokens: 200 });
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    expect(response.degraded).toEqual([]);
    expect(response.found).toBe(true);
    expect(response.answer).toMatch(/^Le passeport coûte 86 € \[1\]\. Il se demande en mairie \[\d\]\.$/);
    expect(response.citations.length).toBeGreaterThanOrEqual(1);
    expect(response.citations[0]!.n).toBe(1);
    expect(Object.keys(response.timings)).toEqual(["guard", "cache", "understand", "retrieve", "answer", "verify", "total"]);
    // The model saw the question and numbered passages, the canary only in the system prompt.
    const [call] = chatRequests(server);
    const body = call!.body as ChatRequestBody;
    expect(body.model).toBe("scripted-model");
    expect(body.messages[0]!.role).toBe("system");
    expect(body.messages[0]!.content).toContain(caps.grounded!.canary);
    expect(body.messages[1]!.content).toContain(QUESTION);
    expect(body.messages[1]!.content).toMatch(/^\[1\] /m);
    expect(body.messages[1]!.content).not.toContain(caps.grounded!.canary);
    // 1000 in at 0.5/1k + 200 out at 2/1k = 0.9
    expect(response.usage).toEqual({
      by_node: [
        expect.objectContaining({ node: "answer", model: "scripted-model", prompt: "answer.v1", calls: 1, input_tokens: 1000, output_tokens: 200, cost: 0.9, estimated: false }),
      ],
      total: expect.objectContaining({ input_tokens: 1000, output_tokens: 200, cost: 0.9, estimated: false }),
    });
    expect(response.usage!.total.model_ms).toBeGreaterThan(0);
  });

  it("estimates tokens from characters when the provider sends no usage, and flags it", async () => {
    const caps = llmCapabilities(server);
    const text = "Le passeport coûte 86 € [1].";
    server.chat = (body) => chatReply(body, text, null);
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    const line = response.usage!.by_node[0]!;
    expect(line.estimated).toBe(true);
    expect(line.output_tokens).toBe(Math.ceil(text.length / 4));
    expect(line.input_tokens).toBeGreaterThan(100);
    expect(response.usage!.total.estimated).toBe(true);
  });

  it("drops a citation to a passage that does not exist (verify)", async () => {
    const caps = llmCapabilities(server);
    server.chat = (body) => chatReply(body, "Le passeport coûte 86 € [1]. Il est valable 10 ans [42].");
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    expect(response.answer).toBe("Le passeport coûte 86 € [1]. Il est valable 10 ans.");
    expect(response.citations.map((c) => c.n)).toEqual([1]);
    expect(response.degraded).toEqual([]);
  });

  it("replaces an answer with no valid citation by the extractive one", async () => {
    const caps = llmCapabilities(server);
    const offline = await extractiveFor(caps, QUESTION);
    server.chat = (body) => chatReply(body, "Le passeport coûte 12 € [9].");
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    expect(response.answer).toBe(offline.answer);
    expect(response.citations).toEqual(offline.citations);
    expect(response.degraded).toEqual(["llm_answer_rejected"]);
  });

  it("masks contact details absent from the sources and rejects an answer echoing the canary", async () => {
    const caps = llmCapabilities(server);
    server.chat = (body) =>
      chatReply(body, "Appelez le 01 23 45 67 89, écrivez à faux@arnaque.fr ou allez sur https://arnaque.example.com/passeport [1].");
    const masked = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    expect(masked.answer).toBe("Appelez le [numéro retiré], écrivez à [adresse retirée] ou allez sur [lien retiré] [1].");

    server.chat = (body) => chatReply(body, `Mon code est ${caps.grounded!.canary} [1].`);
    const leaked = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    expect(leaked.answer).not.toContain(caps.grounded!.canary);
    expect(leaked.degraded).toEqual(["llm_answer_rejected"]);
  });

  it("falls back to the extractive answer, degraded, when the endpoint rejects the call (no retry on 400)", async () => {
    const caps = llmCapabilities(server);
    const offline = await extractiveFor(caps, QUESTION);
    server.queue.push({ status: 400, body: { error: { message: "bad request" } } });
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    expect(chatRequests(server)).toHaveLength(1);
    expect(response.degraded).toEqual(["llm_unavailable"]);
    expect(response.answer).toBe(offline.answer);
    expect(response.usage).toEqual({ by_node: [], total: { input_tokens: 0, output_tokens: 0, cost: 0, estimated: false, model_ms: 0 } });
  });

  it("acceptance: stopping the scripted server mid-run gives a degraded extractive answer, not an error", async () => {
    const caps = llmCapabilities(server);
    const offline = await extractiveFor(caps, QUESTION);
    server.queue.push({ status: 200, hang: true });
    const stopping = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (chatRequests(server).length > 0) {
          clearInterval(timer);
          void server.close().then(resolve);
        }
      }, 5);
    });
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    await stopping;
    expect(response.degraded).toEqual(["llm_unavailable"]);
    expect(response.answer).toBe(offline.answer);
    expect(response.found).toBe(offline.found);
  });

  it("keeps the total deadline: a hanging endpoint costs at most the deadline", async () => {
    const caps = llmCapabilities(server, { GUICHET_DEADLINE_MS: "300", GUICHET_LLM_TIMEOUT_MS: "20000" });
    server.chat = () => ({ status: 200, hang: true });
    const started = performance.now();
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: caps });
    const elapsed = performance.now() - started;
    expect(response.degraded).toEqual(["llm_unavailable"]);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // Far below the 20 s per-call timeout: the deadline, not the call timeout, ended the wait (slack for a busy machine).
    expect(elapsed).toBeLessThan(5000);
    // The deadline aborted the HTTP call itself: the scripted server saw the connection closed.
    expect(await waitForAborted(server)).toContain("/v1/chat/completions");
  });

  it("makes no model call when nothing was retrieved", async () => {
    const caps = llmCapabilities(server);
    const response = await runGuichet(graph, { question: "zzzz qqqq" }, { capabilities: caps });
    expect(chatRequests(server)).toHaveLength(0);
    expect(response.found).toBe(false);
    expect(Object.keys(response.timings)).not.toContain("verify");
  });
});

describe("without a key", () => {
  it("answers extractively with the same response shape as before (no usage field, no verify step)", async () => {
    const response = await runGuichet(graph, { question: QUESTION }, { capabilities: subsetCapabilities() });
    expect(response.usage).toBeUndefined();
    expect(Object.keys(response).sort()).toEqual(["actions", "answer", "blocked", "cache", "citations", "degraded", "found", "language", "redacted", "sources", "timings", "trace_id"]);
    expect(Object.keys(response.timings)).toEqual(["guard", "cache", "understand", "retrieve", "answer", "total"]);
  });
});
