import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { freePort, startInstance, type Instance } from "./helpers/instances.js";

/**
 * Real server processes started as `npm start` starts them (the SDK preloaded), exporting to an OTLP/HTTP
 * receiver on 127.0.0.1: one that records, one that is down, one that never answers.
 */
interface Receiver {
  url: string;
  bodies: string[];
  close(): Promise<void>;
}

async function receiver(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Receiver> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      bodies.push(body);
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const indexDir = tempDir("guichet-otel-index-");
const baseEnv = (endpoint: string) => ({
  NODE_ENV: "test",
  LOG_LEVEL: "info",
  GUICHET_SOURCE: "vdd-xml",
  GUICHET_SOURCE_PATH: FIXTURES_35,
  GUICHET_INDEX_DIR: indexDir,
  GUICHET_FREEDICT_DIR: "off",
  GUICHET_AUTH: "off",
  GUICHET_RATE_LIMIT_PER_MINUTE: "1000",
  GUICHET_CACHE: "off",
  GUICHET_THREADS: "off",
  GUICHET_FEEDBACK: "off",
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_BSP_SCHEDULE_DELAY: "100",
  OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
});

const ask = async (instance: Instance, question: string) => {
  const started = performance.now();
  const res = await fetch(`${instance.url}/invoke`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ question }),
  });
  return { status: res.status, ms: performance.now() - started, header: res.headers.get("traceresponse"), body: (await res.json()) as { trace_id: string } };
};

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}
const spansIn = (bodies: string[]): OtlpSpan[] =>
  bodies.flatMap((b) => {
    const parsed = JSON.parse(b) as { resourceSpans?: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
    return (parsed.resourceSpans ?? []).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  });

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("trace export from a real `npm start`", () => {
  it("sends one tree per request to the collector: server span, workflow, nodes, retrieval; its trace id in the response, the header and the logs", async () => {
    const otlp = await receiver((_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end("{}"));
    const instance = await startInstance(baseEnv(otlp.url));
    try {
      const answer = await ask(instance, "Comment refaire une carte grise perdue ?");
      expect(answer.status).toBe(200);
      const traceId = answer.body.trace_id;
      expect(answer.header).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      await until(() => spansIn(otlp.bodies).some((s) => s.traceId === traceId && s.name === "POST /invoke"));
      const tree = spansIn(otlp.bodies).filter((s) => s.traceId === traceId);
      const byName = (name: string) => tree.find((s) => s.name === name)!;
      const server = byName("POST /invoke");
      const run = byName("invoke_workflow guichet");
      // The root of the server's spans (a `traceparent` from the caller, if any, points outside the tree).
      expect(tree.some((s) => s.spanId === server.parentSpanId)).toBe(false);
      expect(run.parentSpanId).toBe(server.spanId);
      for (const node of ["guard", "cache", "understand", "retrieve", "answer"]) expect(byName(node).parentSpanId).toBe(run.spanId);
      expect(byName("retrieval").parentSpanId).toBe(byName("retrieve").spanId);
      const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;
      expect(attribute(server, "http.route")).toEqual({ stringValue: "/invoke" });
      // No caller address (personal data) on the server span.
      expect(server.attributes.map((a) => a.key).filter((key) => /address|client_ip|peer/.test(key))).toEqual([]);
      expect(attribute(run, "gen_ai.operation.name")).toEqual({ stringValue: "invoke_workflow" });
      expect(JSON.stringify(tree)).not.toContain("carte grise perdue");
      const requestLog = instance.logs().split("\n").find((line) => line.includes('"msg":"request"') && line.includes(traceId));
      expect(requestLog).toBeDefined();
    } finally {
      await instance.stop();
      await otlp.close();
    }
  }, 120_000);

  it.each([
    ["down", "a collector that is down"],
    ["hangs", "a collector that never answers"],
  ])("with %s, every request is answered at its usual speed and the process still stops", async (kind) => {
    const hanging = kind === "hangs" ? await receiver(() => undefined) : undefined;
    const endpoint = hanging ? hanging.url : `http://127.0.0.1:${await freePort()}`;
    const instance = await startInstance({ ...baseEnv(endpoint), GUICHET_SHUTDOWN_TIMEOUT_MS: "3000" });
    try {
      const answers = [];
      for (let i = 0; i < 20; i++) answers.push(await ask(instance, i % 2 ? "Comment refaire une carte grise perdue ?" : "Combien coûte un passeport ?"));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      // Exports are batched off the request path: not one request waits on the collector's 2 s timeout.
      expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1_500);
      if (hanging) {
        // The exporter did try: the collector received batches it never answered.
        await until(() => hanging.bodies.length > 0);
        expect(hanging.bodies.length).toBeGreaterThan(0);
      }
    } finally {
      const stopping = performance.now();
      await instance.stop();
      // The final flush is bounded (5 s at most, less with a shorter shutdown timeout).
      expect(performance.now() - stopping).toBeLessThan(8_000);
      await hanging?.close();
    }
  }, 120_000);
});
