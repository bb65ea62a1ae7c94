import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { loadConfig, ConfigError } from "../tools/config.js";
import { isTransient, LlmUnavailableError, parseRetryAfter, retryAfterMs } from "../tools/llm/errors.js";
import { createLlmProvider, DEFAULT_ENDPOINT } from "../tools/llm/provider.js";
import { Resilience } from "../tools/llm/resilience.js";
import { costOf, DEFAULT_PRICES, parsePrices, summarizeUsage } from "../tools/llm/usage.js";
import { chatRequests, scriptedProvider, waitForAborted } from "./helpers/llm.js";
import { startScriptedOpenAI, type ScriptedServer } from "./helpers/scripted-openai.js";

let server: ScriptedServer;
beforeEach(async () => {
  server = await startScriptedOpenAI();
});
afterEach(async () => {
  await server.close();
});

const ask = [{ role: "user" as const, content: "Bonjour" }];

describe("LLM settings", () => {
  it("leaves the LLM roles off without a key", () => {
    expect(loadConfig({}).llm).toBeUndefined();
    expect(createLlmProvider(undefined)).toBeNull();
  });

  it("gives every role a model (OPENAI_MODEL unless overridden), temperature and max tokens", () => {
    const llm = loadConfig({ OPENAI_API_KEY: "k", GUICHET_MODEL_JUDGE: "big-model", GUICHET_TEMPERATURE_ANSWER: "0.4", GUICHET_MAX_TOKENS_PLAN: "99" }).llm!;
    expect(llm.roles.answer).toEqual({ model: "gpt-4o-mini", temperature: 0.4, maxTokens: 700 });
    expect(llm.roles.judge.model).toBe("big-model");
    expect(llm.roles.plan.maxTokens).toBe(99);
    expect(llm.deadlineMs).toBe(12_000);
    expect(llm.prices).toEqual(DEFAULT_PRICES);
    expect(createLlmProvider(llm)!.endpoint).toBe(DEFAULT_ENDPOINT);
  });

  it("reports bad LLM variables with their names", () => {
    expect(() => loadConfig({ OPENAI_API_KEY: "k", GUICHET_LLM_PRICES: "{not json" })).toThrow(/GUICHET_LLM_PRICES: must be JSON/);
    expect(() => loadConfig({ OPENAI_API_KEY: "k", GUICHET_LLM_PRICES: '{"m":{"input_per_1k":-1,"output_per_1k":0}}' })).toThrow(ConfigError);
    expect(() => loadConfig({ GUICHET_TEMPERATURE_ANSWER: "3" })).toThrow(/GUICHET_TEMPERATURE_ANSWER/);
  });

  it("prices models from the table and reports unknown ones as unpriced", () => {
    const prices = parsePrices('{"m":{"input_per_1k":1,"output_per_1k":3}}');
    expect(costOf(prices, "m", 500, 1000)).toEqual({ cost: 3.5, priced: true });
    expect(costOf(prices, "other", 500, 1000)).toEqual({ cost: 0, priced: false });
    const summary = summarizeUsage([
      { node: "answer", model: "m", input_tokens: 10, output_tokens: 5, estimated: false, cost: 0.1, priced: true, model_ms: 3 },
      { node: "answer", model: "m", input_tokens: 20, output_tokens: 5, estimated: true, cost: 0.2, priced: true, model_ms: 4 },
      { node: "translate", model: "n", input_tokens: 1, output_tokens: 1, estimated: false, cost: 0, priced: false, model_ms: 1 },
    ]);
    expect(summary.by_node).toHaveLength(2);
    expect(summary.by_node[0]).toMatchObject({ node: "answer", calls: 2, input_tokens: 30, output_tokens: 10, cost: 0.3, estimated: true });
    expect(summary.total).toEqual({ input_tokens: 31, output_tokens: 11, cost: 0.3, estimated: true, model_ms: 8 });
  });
});

describe("error classification and Retry-After", () => {
  it("retries 429, 5xx, network errors and timeouts, never other 4xx", () => {
    expect(isTransient({ status: 429 })).toBe(true);
    expect(isTransient({ status: 503 })).toBe(true);
    expect(isTransient({ status: 400 })).toBe(false);
    expect(isTransient({ status: 401 })).toBe(false);
    expect(isTransient(new TypeError("fetch failed"))).toBe(true);
    expect(isTransient(Object.assign(new Error("Aborted"), { name: "AbortError" }))).toBe(false);
    expect(isTransient(new LlmUnavailableError("failed", "x"))).toBe(false);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(retryAfterMs({ headers: new Headers({ "retry-after": "1.5" }) })).toBe(1500);
    expect(retryAfterMs({ headers: { "retry-after": "4" } })).toBe(4000);
  });

  it("backs off exponentially with jitter, caps Retry-After", () => {
    const settings = loadConfig({ OPENAI_API_KEY: "k", GUICHET_LLM_BACKOFF_MS: "100", GUICHET_LLM_BACKOFF_MAX_MS: "300", GUICHET_LLM_RETRY_AFTER_MAX_MS: "2000" }).llm!.resilience;
    const low = new Resilience(settings, () => 0);
    const high = new Resilience(settings, () => 1);
    expect([1, 2, 3, 4].map((a) => low.delayFor(a, undefined))).toEqual([50, 100, 150, 150]);
    expect([1, 2, 3, 4].map((a) => high.delayFor(a, undefined))).toEqual([100, 200, 300, 300]);
    expect(low.delayFor(1, { headers: { "retry-after": "60" } })).toBe(2000);
  });
});

describe("resilient chat against the scripted server", () => {
  it("retries 500 then succeeds", async () => {
    const chat = scriptedProvider(server).chat("answer");
    server.queue.push({ status: 500 }, { status: 502 });
    const result = await chat.invoke(ask, { node: "test" });
    expect(result.attempts).toBe(3);
    expect(result.text).toContain("[1]");
    expect(chatRequests(server)).toHaveLength(3);
  });

  it("retries a malformed JSON reply", async () => {
    const chat = scriptedProvider(server).chat("answer");
    server.queue.push({ status: 200, body: "{not json" });
    const result = await chat.invoke(ask, { node: "test" });
    expect(result.attempts).toBe(2);
  });

  it("honours Retry-After before retrying a 429", async () => {
    const chat = scriptedProvider(server).chat("answer");
    server.queue.push({ status: 429, headers: { "retry-after": "1" } });
    const started = performance.now();
    await chat.invoke(ask, { node: "test" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(chatRequests(server)).toHaveLength(2);
  });

  it("gives up at once when Retry-After would pass the deadline", async () => {
    const chat = scriptedProvider(server).chat("answer");
    server.queue.push({ status: 429, headers: { "retry-after": "5" } });
    const started = performance.now();
    await expect(chat.invoke(ask, { node: "test", deadlineAt: Date.now() + 1000 })).rejects.toMatchObject({ reason: "deadline" });
    // Not the 5 s Retry-After (slack for a busy machine).
    expect(performance.now() - started).toBeLessThan(2500);
    expect(chatRequests(server)).toHaveLength(1);
  });

  it("does not retry a 400 and reports the call as rejected", async () => {
    const chat = scriptedProvider(server).chat("answer");
    server.queue.push({ status: 400, body: { error: { message: "bad" } } });
    await expect(chat.invoke(ask, { node: "test" })).rejects.toMatchObject({ name: "LlmUnavailableError", reason: "rejected" });
    expect(chatRequests(server)).toHaveLength(1);
  });

  it("gives up after the configured retries", async () => {
    const chat = scriptedProvider(server, { GUICHET_LLM_RETRIES: "1" }).chat("answer");
    server.queue.push({ status: 503 }, { status: 503 }, { status: 503 });
    await expect(chat.invoke(ask, { node: "test" })).rejects.toMatchObject({ reason: "failed" });
    expect(chatRequests(server)).toHaveLength(2);
  });

  it("times a hanging call out per attempt and retries it", async () => {
    const chat = scriptedProvider(server, { GUICHET_LLM_TIMEOUT_MS: "300" }).chat("answer");
    server.queue.push({ status: 200, hang: true });
    const result = await chat.invoke(ask, { node: "test" });
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(result.text).toContain("[1]");
    expect(await waitForAborted(server)).toContain("/v1/chat/completions");
  });

  it("opens the endpoint's breaker after consecutive failures, for every role, then half-opens", async () => {
    const provider = scriptedProvider(server, { GUICHET_LLM_RETRIES: "0", GUICHET_LLM_BREAKER_FAILURES: "2", GUICHET_LLM_BREAKER_HALF_OPEN_MS: "200" });
    server.queue.push({ status: 500 }, { status: 500 });
    await expect(provider.chat("answer").invoke(ask, { node: "test" })).rejects.toMatchObject({ reason: "failed" });
    await expect(provider.chat("answer").invoke(ask, { node: "test" })).rejects.toMatchObject({ reason: "failed" });
    // Open: no request reaches the endpoint, whatever the role.
    await expect(provider.chat("translate").invoke(ask, { node: "test" })).rejects.toMatchObject({ reason: "breaker_open" });
    expect(chatRequests(server)).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 250));
    const result = await provider.chat("answer").invoke(ask, { node: "test" });
    expect(result.text).toContain("[1]");
    expect(chatRequests(server)).toHaveLength(3);
  });

  it("rethrows the caller's abort (not a degradation) and closes the upstream request", async () => {
    const chat = scriptedProvider(server).chat("answer");
    server.queue.push({ status: 200, hang: true });
    const controller = new AbortController();
    // Abort once the request is in flight at the endpoint.
    const poll = setInterval(() => {
      if (chatRequests(server).length > 0) {
        clearInterval(poll);
        controller.abort(new Error("client gone"));
      }
    }, 5);
    await expect(chat.invoke(ask, { node: "test", signal: controller.signal })).rejects.toThrow("client gone");
    expect(await waitForAborted(server)).toContain("/v1/chat/completions");
    expect(chatRequests(server)).toHaveLength(1);
  });

  it("refuses to start a call after the deadline", async () => {
    const chat = scriptedProvider(server).chat("answer");
    await expect(chat.invoke(ask, { node: "test", deadlineAt: Date.now() - 1 })).rejects.toMatchObject({ reason: "deadline" });
    expect(chatRequests(server)).toHaveLength(0);
  });

  it("streams tokens and reads the usage of the stream", async () => {
    const chat = scriptedProvider(server).chat("answer");
    const tokens: string[] = [];
    const result = await chat.invoke(ask, { node: "test", onToken: (t) => tokens.push(t) });
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join("")).toBe(result.text);
    expect(result.usage).toMatchObject({ input_tokens: 120, output_tokens: 30, estimated: false });
    expect((chatRequests(server)[0]!.body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
  });

  it("does not retry a stream that already sent tokens", async () => {
    const chat = scriptedProvider(server).chat("answer");
    // The endpoint goes away after two deltas: a retry would repeat tokens the client already has.
    server.queue.push({ status: 200, stream: ["Le ", "passeport ", "coûte ", "86 € [1]."], cutAfter: 2 });
    const tokens: string[] = [];
    await expect(chat.invoke(ask, { node: "test", onToken: (t) => tokens.push(t) })).rejects.toMatchObject({ name: "LlmUnavailableError" });
    expect(tokens).toEqual(["Le ", "passeport "]);
    expect(chatRequests(server)).toHaveLength(1);
  });
});

describe("GenAI client spans", () => {
  it("records model, provider, operation and token usage on a client span", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    try {
      await scriptedProvider(server).chat("answer").invoke(ask, { node: "answer" });
      const span = exporter.getFinishedSpans().find((s) => s.name === "chat scripted-model")!;
      expect(span.kind).toBe(2); // CLIENT
      expect(span.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "scripted-model",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
        "guichet.llm.role": "answer",
      });
      expect(JSON.stringify(span.attributes)).not.toContain("Bonjour");
    } finally {
      trace.disable();
      await provider.shutdown();
    }
  });
});
