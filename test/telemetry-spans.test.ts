import { context, propagation, SpanKind, SpanStatusCode, trace, INVALID_SPAN_CONTEXT } from "@opentelemetry/api";
import type { Retriever } from "../tools/search/retriever.js";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { connect, type AddressInfo } from "node:net";
import { pino } from "pino";
import request from "supertest";
import type { Capabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";
import { createApp } from "../server/app.js";
import { createAnswerCache } from "../tools/cache/create.js";
import { loadConfig } from "../tools/config.js";
import { tracedNode } from "../tools/telemetry/traced-node.js";
import { TRACER_NAME, traceIdOf, withSpan } from "../tools/telemetry/tracing.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const graph = buildGraph();
let caps: Capabilities;

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  caps = subsetCapabilities();
});

afterEach(() => exporter.reset());

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

const spans = () => exporter.getFinishedSpans();
function span(name: string): ReadableSpan {
  const found = spans().filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}
const isChildOf = (child: ReadableSpan, parent: ReadableSpan) =>
  child.spanContext().traceId === parent.spanContext().traceId &&
  child.parentSpanContext?.spanId === parent.spanContext().spanId;

function brokenCapabilities(): Capabilities {
  const search = Object.create(caps.search) as Retriever;
  search.searchAsync = async () => {
    throw new Error("index corrupted at /secret/path");
  };
  return { ...caps, search };
}

function app(capabilities: Capabilities = caps) {
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

describe("spans of a run", () => {
  it("a miss has one guard and one cache span; an exact hit, answered before the graph, the same two under guichet.run", async () => {
    const cached: Capabilities = { ...caps };
    cached.answerCache = createAnswerCache(loadConfig({ GUICHET_CACHE: "memory" }), cached, pino({ level: "silent" }));
    await runGuichet(graph, { question: "Comment refaire une carte grise perdue ?" }, { capabilities: cached });
    expect(spans().map((s) => s.name).sort()).toEqual(["answer", "cache", "guard", "invoke_workflow guichet", "retrieval", "retrieve", "understand"]);
    expect(span("cache").attributes["guichet.cache"]).toBe("miss");
    exporter.reset();
    const hit = await runGuichet(graph, { question: "comment refaire une carte grise perdue" }, { capabilities: cached });
    expect(hit.cache).toBe("exact");
    expect(spans().map((s) => s.name).sort()).toEqual(["cache", "guard", "invoke_workflow guichet"]);
    const run = span("invoke_workflow guichet");
    expect(hit.trace_id).toBe(run.spanContext().traceId);
    for (const name of ["guard", "cache"]) expect(isChildOf(span(name), run)).toBe(true);
    expect(span("cache").attributes).toMatchObject({ "guichet.node": "cache", "guichet.cache": "exact" });
    expect(span("guard").attributes).toMatchObject({ "guichet.refused": false, "guichet.redacted": [] });
    const [guard, cache] = [span("guard"), span("cache")].map((s) => s.startTime[0] * 1e3 + s.startTime[1] / 1e6);
    expect(cache!).toBeGreaterThanOrEqual(guard!);
  });

  it("puts the experiment variant on the run's span and in the response", async () => {
    const response = await runGuichet(graph, { question: "Quel est le prix d'un passeport ?" }, { capabilities: caps, variant: "rerank-fiche" });
    expect(span("invoke_workflow guichet").attributes["guichet.variant"]).toBe("rerank-fiche");
    expect(response.variant).toBe("rerank-fiche");
  });

  it("nests one span per node under guichet.run, with the run's trace id in the response", async () => {
    const response = await runGuichet(graph, { question: "Quel est le prix d'un passeport ?" }, { capabilities: caps });
    const run = span("invoke_workflow guichet");
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.instrumentationScope.name).toBe(TRACER_NAME);
    expect(response.trace_id).toBe(run.spanContext().traceId);
    expect(spans().map((s) => s.name).sort()).toEqual(["answer", "cache", "guard", "invoke_workflow guichet", "retrieval", "retrieve", "understand"]);
    for (const name of ["guard", "understand", "retrieve", "answer"]) {
      const node = span(name);
      expect(isChildOf(node, run)).toBe(true);
      expect(node.attributes["guichet.node"]).toBe(name);
      expect(node.status.code).not.toBe(SpanStatusCode.ERROR);
    }
    expect(run.attributes).toMatchObject({
      "guichet.graph": "guichet",
      "guichet.blocked": false,
      "guichet.citation_count": response.citations.length,
    });
    expect(span("guard").attributes).toMatchObject({ "guichet.refused": false, "guichet.language": "fr" });
    expect(span("guard").attributes).not.toHaveProperty("guichet.refusal_reason");

    const retrieve = span("retrieve").attributes;
    expect(retrieve["guichet.passage_count"]).toBe(10);
    const ficheIds = retrieve["guichet.fiche_ids"] as string[];
    expect(Array.isArray(ficheIds)).toBe(true);
    expect(ficheIds[0]).toBe("F34752");
    expect(new Set(ficheIds).size).toBe(ficheIds.length);
    expect(ficheIds).toEqual(expect.arrayContaining(response.citations.map((c) => c.id)));

    expect(span("answer").attributes).toMatchObject({
      "guichet.citation_count": response.citations.length,
      "guichet.found": true,
    });
  });

  it("records a refusal on the guard span and skips retrieval", async () => {
    const response = await runGuichet(graph, { question: "a".repeat(501), language: "en" }, { capabilities: caps });
    expect(spans().map((s) => s.name).sort()).toEqual(["guard", "invoke_workflow guichet", "refuse"]);
    expect(span("guard").attributes).toMatchObject({
      "guichet.refused": true,
      "guichet.refusal_reason": "too_long",
      "guichet.language": "en",
    });
    expect(isChildOf(span("refuse"), span("invoke_workflow guichet"))).toBe(true);
    expect(span("invoke_workflow guichet").attributes["guichet.blocked"]).toBe(true);
    expect(response.trace_id).toBe(span("invoke_workflow guichet").spanContext().traceId);
  });

  it("records 0 passages and not found for an unanswerable question", async () => {
    await runGuichet(graph, { question: "tarte aux pommes" }, { capabilities: caps });
    expect(span("answer").attributes).toMatchObject({ "guichet.citation_count": 0, "guichet.found": false });
  });

  it("marks the failing node and the run as errors, with the exception", async () => {
    await expect(runGuichet(graph, { question: "carte Vitale" }, { capabilities: brokenCapabilities() })).rejects.toThrow(
      "index corrupted",
    );
    for (const name of ["retrieve", "invoke_workflow guichet"]) {
      const s = span(name);
      expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: "index corrupted at /secret/path" });
      expect(s.events.map((e) => e.name)).toContain("exception");
    }
    expect(isChildOf(span("retrieve"), span("invoke_workflow guichet"))).toBe(true);
    expect(spans().map((s) => s.name)).not.toContain("answer");
  });

  it("gives each run its own trace", async () => {
    const a = await runGuichet(graph, { question: "carte Vitale" }, { capabilities: caps });
    const b = await runGuichet(graph, { question: "carte Vitale" }, { capabilities: caps });
    expect(a.trace_id).not.toBe(b.trace_id);
    expect(new Set(spans().map((s) => s.spanContext().traceId))).toEqual(new Set([a.trace_id, b.trace_id]));
  });
});

describe("spans of an HTTP request", () => {
  it("makes the server span POST /invoke the parent of guichet.run", async () => {
    const res = await request(app()).post("/invoke").set("X-Request-Id", "req-42").send({ question: "carte Vitale" });
    expect(res.status).toBe(200);
    const server = span("POST /invoke");
    const run = span("invoke_workflow guichet");
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.parentSpanContext).toBeUndefined();
    expect(isChildOf(run, server)).toBe(true);
    for (const name of ["guard", "understand", "retrieve", "answer"]) expect(isChildOf(span(name), run)).toBe(true);
    expect(server.attributes).toMatchObject({
      "http.request.method": "POST",
      "url.path": "/invoke",
      "guichet.request_id": "req-42",
      "http.response.status_code": 200,
    });
    expect((res.body as { trace_id: string }).trace_id).toBe(server.spanContext().traceId);
  });

  it("keeps the parent when the body arrives after the headers, in a later packet", async () => {
    const server = app().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      let raw = "";
      socket.on("data", (d: Buffer) => (raw += d.toString()));
      const closed = new Promise((resolve) => socket.once("close", resolve));
      const body = JSON.stringify({ question: "carte Vitale" });
      socket.write(
        `POST /invoke HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.write(body);
      await closed;
      expect(raw.startsWith("HTTP/1.1 200 ")).toBe(true);
      expect(isChildOf(span("invoke_workflow guichet"), span("POST /invoke"))).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // BUG, fails until fixed (server/app.ts:129, requestContext): the server span is ended (and the access
  // log line written) only on the response's "finish" event, which never fires when the client
  // disconnects first; such requests leave a span that is never ended nor exported, and no log line.
  it("ends the server span of a request the client aborts", async () => {
    const server = app().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write('POST /invoke HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"question":');
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(spans().map((s) => s.name)).toContain("POST /invoke");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("continues an incoming traceparent", async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const parentId = "00f067aa0ba902b7";
      const res = await request(app())
        .post("/invoke")
        .set("traceparent", `00-${traceId}-${parentId}-01`)
        .send({ question: "carte Vitale" });
      expect((res.body as { trace_id: string }).trace_id).toBe(traceId);
      const server = span("POST /invoke");
      expect(server.spanContext().traceId).toBe(traceId);
      expect(server.parentSpanContext?.spanId).toBe(parentId);
      expect(server.parentSpanContext?.isRemote).toBe(true);
    } finally {
      propagation.disable();
    }
  });

  it("marks the server span as an error on a 500, and records 4xx statuses", async () => {
    await request(app(brokenCapabilities())).post("/invoke").send({ question: "carte Vitale" }).expect(500);
    expect(span("POST /invoke").status.code).toBe(SpanStatusCode.ERROR);
    expect(span("POST /invoke").attributes["http.response.status_code"]).toBe(500);
    exporter.reset();
    await request(app()).get("/nowhere").expect(404);
    expect(span("GET unmatched").status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span("GET unmatched").attributes["http.response.status_code"]).toBe(404);
  });
});

describe("tracing helpers", () => {
  it("traceIdOf returns the span's trace id, or a random one for a no-op span", () => {
    const noop = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const a = traceIdOf(noop);
    const b = traceIdOf(noop);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe("0".repeat(32));
    expect(a).not.toBe(b);
    const real = trace.getTracer("t").startSpan("x");
    expect(traceIdOf(real)).toBe(real.spanContext().traceId);
    real.end();
  });

  it("withSpan ends the span and returns the value; tracedNode adds its timing", async () => {
    const node = tracedNode(
      "demo",
      async (s: { n: number }): Promise<{ doubled: number; timings?: Record<string, number> }> => ({ doubled: s.n * 2 }),
      (u) => ({ "demo.doubled": u.doubled }),
    );
    expect(node.name).toBe("demo");
    const update = await withSpan("outer", { k: "v" }, () => node({ n: 21 }, {}));
    expect(update.doubled).toBe(42);
    expect(Object.keys(update.timings ?? {})).toEqual(["demo"]);
    expect(span("demo").attributes).toMatchObject({ "guichet.node": "demo", "demo.doubled": 42 });
    expect(isChildOf(span("demo"), span("outer"))).toBe(true);
    expect(span("outer").attributes.k).toBe("v");
  });

  it("tracedNode keeps timings returned by the node itself", async () => {
    const node = tracedNode("inner", () => ({ timings: { sub: 1 } }));
    expect(Object.keys((await node({}, {})).timings)).toEqual(["inner", "sub"]);
  });
});
