import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { context, propagation, trace } from "@opentelemetry/api";
import { startTelemetry, tracingRequested } from "../server/telemetry.js";

interface Received {
  method: string;
  url: string;
  type: string;
  body: string;
}

/** A stand-in OTLP/HTTP collector that records what it receives. */
async function collector(status = 200): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", type: req.headers["content-type"] ?? "", body });
      res.writeHead(status, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

afterEach(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

const keep = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith("OTEL_") && !(key in keep)) delete process.env[key];
});

describe("tracingRequested", () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" }, true],
    [{ OTEL_TRACES_EXPORTER: "console" }, true],
    [{ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }, false],
    [{ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }, false],
  ])("%j → %s", (env, expected) => {
    expect(tracingRequested(env)).toBe(expected);
  });
});

describe("startTelemetry", () => {
  it("starts no export without OTEL_* variables, yet a context manager carries a request's span context", async () => {
    const telemetry = startTelemetry({});
    expect(telemetry.enabled).toBe(false);
    expect(startTelemetry({})).toBe(telemetry);
    const span = trace.getTracer("t").startSpan("x");
    expect(span.isRecording()).toBe(false);
    span.end();
    const carried = trace.wrapSpanContext({ traceId: "a".repeat(32), spanId: "b".repeat(16), traceFlags: 0 });
    context.with(trace.setSpan(context.active(), carried), () => {
      expect(trace.getTracer("t").startSpan("child").spanContext().traceId).toBe("a".repeat(32));
    });
    // An incoming traceparent is continued even so.
    const incoming = propagation.extract(context.active(), { traceparent: `00-${"c".repeat(32)}-${"d".repeat(16)}-01` });
    expect(trace.getTracer("t").startSpan("server", {}, incoming).spanContext().traceId).toBe("c".repeat(32));
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });

  it("with an unreachable endpoint, is enabled, started once, and shuts down when nothing is left to export", async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await unusedPort()}` };
    const telemetry = startTelemetry(env);
    expect(telemetry.enabled).toBe(true);
    expect(startTelemetry(env)).toBe(telemetry);
    const span = trace.getTracer("t").startSpan("x");
    expect(span.isRecording()).toBe(true);
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });

  it("exports spans over OTLP/HTTP to <endpoint>/v1/traces with the service name, and nothing else (no SDK metrics or logs)", async () => {
    const otlp = await collector();
    try {
      const telemetry = startTelemetry({
        OTEL_EXPORTER_OTLP_ENDPOINT: `${otlp.url}/`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "guichet-test",
      });
      const parent = trace.getTracer("guichet").startSpan("invoke_workflow guichet");
      context.with(trace.setSpan(context.active(), parent), () => {
        expect(trace.getActiveSpan()).toBe(parent);
      });
      parent.end();
      await telemetry.shutdown();
      const traces = otlp.received.filter((r) => r.url === "/v1/traces");
      expect(traces.length).toBeGreaterThanOrEqual(1);
      expect(traces[0]!.method).toBe("POST");
      expect(traces[0]!.body).toContain("invoke_workflow guichet");
      expect(traces[0]!.body).toContain("guichet-test");
      expect(otlp.received.every((r) => r.url === "/v1/traces")).toBe(true);
    } finally {
      await new Promise((resolve) => otlp.server.close(resolve));
    }
  });

  it("honours OTEL_TRACES_SAMPLER: always_off records nothing", async () => {
    const telemetry = startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await unusedPort()}`, OTEL_TRACES_SAMPLER: "always_off" });
    const span = trace.getTracer("t").startSpan("x");
    expect(span.isRecording()).toBe(false);
    // Not sampled, but a valid context: the request still has a trace id to show.
    expect(span.spanContext().traceId).not.toBe("0".repeat(32));
    span.end();
    await telemetry.shutdown();
  });

  // server/main.ts relies on it: the shutdown promise rejects when the final export fails or hangs, and the
  // shutdown then goes on (see the shutdown test for the consequence on close()).
  it("rejects on shutdown when the collector refuses the final export", async () => {
    const otlp = await collector(500);
    try {
      const telemetry = startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
      trace.getTracer("guichet").startSpan("invoke_workflow guichet").end();
      await expect(telemetry.shutdown()).rejects.toThrow();
      expect(otlp.received.map((r) => r.url)).toContain("/v1/traces");
    } finally {
      await new Promise((resolve) => otlp.server.close(resolve));
    }
  });

  it("gives up the final export after its timeout when the collector never answers", async () => {
    const hung = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = hung.address() as AddressInfo;
      const telemetry = startTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: "30000" });
      trace.getTracer("guichet").startSpan("invoke_workflow guichet").end();
      const started = performance.now();
      await expect(telemetry.shutdown(300)).rejects.toThrow(/within 300 ms/);
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });
});
