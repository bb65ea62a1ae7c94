import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { context, propagation, trace } from "@opentelemetry/api";
import { startTelemetry } from "../server/telemetry.js";

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

describe("startTelemetry", () => {
  it("starts nothing without an endpoint: spans stay no-ops", async () => {
    const telemetry = startTelemetry({ serviceName: "guichet" });
    expect(telemetry.enabled).toBe(false);
    const span = trace.getTracer("t").startSpan("x");
    expect(span.isRecording()).toBe(false);
    span.end();
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });

  it("with an unreachable endpoint, is enabled and shuts down when nothing is left to export", async () => {
    const telemetry = startTelemetry({ endpoint: `http://127.0.0.1:${await unusedPort()}`, serviceName: "guichet" });
    expect(telemetry.enabled).toBe(true);
    const span = trace.getTracer("t").startSpan("x");
    expect(span.isRecording()).toBe(true);
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });

  it("exports spans to <endpoint>/v1/traces (trailing slash tolerated) with the service name", async () => {
    const otlp = await collector();
    try {
      const telemetry = startTelemetry({ endpoint: `${otlp.url}/`, serviceName: "guichet-test" });
      const parent = trace.getTracer("guichet").startSpan("guichet.run");
      // The SDK registers a context manager: the active span is visible to children.
      context.with(trace.setSpan(context.active(), parent), () => {
        expect(trace.getActiveSpan()).toBe(parent);
      });
      parent.end();
      await telemetry.shutdown();
      const traces = otlp.received.filter((r) => r.url === "/v1/traces");
      expect(traces.length).toBeGreaterThanOrEqual(1);
      expect(traces[0]!.method).toBe("POST");
      expect(traces[0]!.body).toContain("guichet.run");
      expect(traces[0]!.body).toContain("guichet-test");
      expect(otlp.received.every((r) => r.url === "/v1/traces")).toBe(true);
    } finally {
      await new Promise((resolve) => otlp.server.close(resolve));
    }
  });

  // Documents the contract server/main.ts relies on: the shutdown promise rejects when the final
  // export fails (see the shutdown test for the consequence on close()).
  it("rejects on shutdown when the collector refuses the final export", async () => {
    const otlp = await collector(500);
    try {
      const telemetry = startTelemetry({ endpoint: otlp.url, serviceName: "guichet" });
      trace.getTracer("guichet").startSpan("guichet.run").end();
      await expect(telemetry.shutdown()).rejects.toThrow();
      expect(otlp.received.map((r) => r.url)).toContain("/v1/traces");
    } finally {
      await new Promise((resolve) => otlp.server.close(resolve));
    }
  });
});
