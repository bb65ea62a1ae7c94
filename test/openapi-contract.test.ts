import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { pino } from "pino";
import request from "supertest";
import { z } from "zod";
import { buildGraph } from "../graphs/guichet.js";
import { PROBLEM_KINDS } from "../server/api-schemas.js";
import { createApp } from "../server/app.js";
import { ROUTES, THREAD_ROUTE_METHODS } from "../server/http-route.js";
import { API_ROUTES, buildOpenApiDocument, openApiDocument, openApiJson } from "../server/openapi.js";
import { contractReport, documentChecker } from "./helpers/contract-check.js";
import { takeRecords, takeRemainingRecords, type RecordedResponse } from "./helpers/contract-recorder.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const document = openApiDocument();
const GUICHET_HEADERS = { "X-Request-Id": "contract-test", traceresponse: `00-${"a".repeat(32)}-${"b".repeat(16)}-00` };

/** What the contract checks say of the responses recorded since the last call (taken, so afterEach sees none). */
async function reportOfRecorded(): Promise<string> {
  return contractReport(await documentChecker(), takeRecords()) ?? "";
}

/** A server in this process that answers like Guichet (its headers) with whatever the test wants. */
async function impostor(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(GUICHET_HEADERS)) res.setHeader(name, value);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const close = (server: { close(cb: () => void): unknown }) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // The validator does reject a broken one.
    const broken = structuredClone(document) as { info: Record<string, unknown> };
    delete broken.info.title;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("has components that are valid JSON Schema 2020-12, in strict mode", () => {
    const ajv = new Ajv2020({ strict: true });
    ajvFormats.default(ajv);
    const schemas = (document.components as { schemas: Record<string, object> }).schemas;
    const wrapped = { $id: "urn:guichet:components", components: { schemas } };
    // Strict mode refuses unknown keywords: only `components` is not one, and it holds the schemas.
    ajv.addKeyword("components");
    ajv.addSchema(wrapped);
    for (const id of Object.keys(schemas)) {
      expect(ajv.validateSchema(schemas[id]!)).toBe(true);
      expect(() => ajv.getSchema(`urn:guichet:components#/components/schemas/${id}`)).not.toThrow();
    }
  });

  it("is what docs/openapi.json holds", () => {
    const written = readFileSync(new URL("../docs/openapi.json", import.meta.url), "utf8");
    if (written !== openApiJson()) throw new Error("docs/openapi.json is not the document the code builds: run `npm run openapi`");
    expect(openApiJson().endsWith("}\n")).toBe(true);
  });

  it("lists every route and method the app serves, and no other", () => {
    const served = Object.entries({ ...ROUTES, "/threads/{id}": THREAD_ROUTE_METHODS }).map(
      ([path, methods]) => `${path} ${[...methods].map((m) => m.toLowerCase()).sort().join(",")}`,
    );
    const documented = Object.entries(document.paths as Record<string, object>).map(([path, item]) => `${path} ${Object.keys(item).sort().join(",")}`);
    expect(documented.sort()).toEqual(served.sort());
  });

  it("names every problem type the code builds", () => {
    const types = ((document.components as { schemas: { Problem: { properties: { type: { enum: string[] } } } } }).schemas.Problem.properties.type.enum);
    expect(types.sort()).toEqual(Object.values(PROBLEM_KINDS).map((p) => p.type).sort());
    expect(types).toEqual(expect.arrayContaining(["urn:guichet:problem:rate-limited", "urn:guichet:problem:threads-unavailable", "urn:guichet:problem:headers-too-large"]));
  });

  it("takes one more route as one more entry", () => {
    const extra = buildOpenApiDocument([
      ...API_ROUTES,
      {
        method: "post",
        path: "/example",
        operationId: "example",
        summary: "Feedback",
        tag: "questions",
        access: "api",
        requestBody: { schema: z.object({ trace_id: z.string(), useful: z.boolean() }), description: "What the caller thought of an answer." },
        responses: { 204: { description: "Kept." } },
        problems: ["notFoundThread"],
      },
    ]) as { paths: Record<string, { post: { responses: Record<string, unknown>; requestBody: unknown } }> };
    // An `api` route gets the problems of authentication and the rate limit, a JSON body those of reading it, every route the 500.
    expect(Object.keys(extra.paths["/example"]!.post.responses).sort()).toEqual(["204", "400", "401", "403", "404", "413", "429", "500", "503"]);
    expect(JSON.stringify(extra.paths["/example"]!.post.requestBody)).toContain('"useful":{"type":"boolean"}');
    expect(() => buildOpenApiDocument([...API_ROUTES, API_ROUTES[0]!])).toThrow("two routes for POST /invoke");
  });

  it("is served at GET /openapi.json", async () => {
    const app = createApp({
      graph: buildGraph(),
      capabilities: subsetCapabilities(),
      logger: pino({ level: "silent" }),
      maxQuestionLength: 500,
      topK: 10,
      maxPerFiche: 2,
      requestTimeoutMs: 5000,
      version: "test",
    });
    const res = await request(app).get("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.body).toEqual(JSON.parse(openApiJson()));
    expect((await request(app).head("/openapi.json")).status).toBe(200);
    expect((await request(app).post("/openapi.json")).headers.allow).toBe("GET, HEAD");
    // These responses are real ones: they match the document.
    expect(await reportOfRecorded()).toBe("");
  });
});

describe("the contract checks of the HTTP tests", () => {
  it("catch a body that does not match, an undocumented status and an undocumented route", async () => {
    const { url, server } = await impostor((req, res) => {
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      if (req.url === "/health") res.end(JSON.stringify({ status: "fine", version: "1", uptime_s: 1, index: { source: "x", snapshot_date: "d", fiches: 1, chunks: 1 }, extra: true }));
      else if (req.url === "/ready") res.writeHead(418).end("{}");
      else if (req.url === "/invoke") {
        res.writeHead(400, { "Content-Type": "application/problem+json" });
        res.end(JSON.stringify({ type: "urn:guichet:problem:timeout", title: "Answer took too long", status: 400, detail: "-", instance: "/invoke", request_id: "r" }));
      }
      else res.end("{}");
    });
    try {
      await fetch(`${url}/health`);
      await fetch(`${url}/ready`);
      await fetch(`${url}/secret?x=1`);
      await fetch(`${url}/invoke`, { method: "POST" });
    } finally {
      await close(server);
    }
    const report = await reportOfRecorded();
    expect(report).toContain('GET /health → 200: body at /status: must be equal to one of the allowed values (["ok","degraded"])');
    expect(report).toContain('GET /health → 200: body at /: must NOT have additional properties ("extra")');
    expect(report).toContain("GET /ready → 418: status 418 is not documented (documented: 200, 500, 503)");
    expect(report).toContain("GET /secret (a path the document does not list) → 200: status 200 is not documented (documented: 404)");
    // A problem type the route's 400 does not list.
    expect(report).toContain("POST /invoke → 400: body at /type: must be equal to constant");
    expect(report).toContain("run `npm run openapi`");
  });

  it("catch missing headers, wrong content types and broken event streams", async () => {
    const { url, server } = await impostor((req, res) => {
      if (req.url === "/invoke") {
        res.removeHeader("traceresponse");
        res.setHeader("traceresponse", "not a trace");
        res.writeHead(405, { "Content-Type": "text/html" }).end("<p>no</p>");
        return;
      }
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write('event: progress\ndata: {"type":"progress","node":"guard","status":"begun"}\n\n');
      res.write('event: gossip\ndata: {"type":"gossip"}\n\n');
      res.end('event: token\ndata: {"type":"token","text":"x"}\n\n');
    });
    try {
      await fetch(`${url}/invoke`, { method: "PATCH" });
      await fetch(`${url}/stream`, { method: "POST" });
    } finally {
      await close(server);
    }
    const report = await reportOfRecorded();
    expect(report).toContain("PATCH /invoke (a method the path does not list) → 405: header Allow is missing");
    expect(report).toContain('PATCH /invoke (a method the path does not list) → 405: header traceresponse "not a trace": at /: must match pattern');
    expect(report).toContain('content type "text/html" is not documented (documented: application/problem+json)');
    expect(report).toContain('POST /stream → 200: event 0 "progress" at /status: must be equal to one of the allowed values (["started","finished"])');
    expect(report).toContain('POST /stream → 200: event 1 "gossip" is not a documented event');
    expect(report).toContain('POST /stream → 200: the stream ended with "token", not with "final" or "error"');
  });

  it("check what fetch receives from a server out of reach (another process), and ignore other servers", async () => {
    // Raw bytes on a socket: no ServerResponse of this process, as from a child process.
    const body = JSON.stringify({ ready: "yes" });
    const raw = createTcpServer((socket) =>
      socket.once("data", () =>
        socket.end(
          `HTTP/1.1 200 OK\r\nX-Request-Id: raw-1\r\ntraceresponse: ${GUICHET_HEADERS.traceresponse}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        ),
      ),
    );
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    const other = createServer((_req, res) => res.writeHead(418).end("teapot"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      await (await fetch(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/ready`)).text();
      await (await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/ready`)).text();
    } finally {
      await Promise.all([close(raw), close(other)]);
    }
    const records = await takeRemainingRecords(1_000);
    expect(records.map((r: RecordedResponse) => `${r.seenBy} ${r.method} ${r.url} ${r.status}`)).toEqual(["fetch GET /ready 200"]);
    const report = contractReport(await documentChecker(), records) ?? "";
    expect(report).toContain("GET /ready → 200: body at /ready: must be boolean (seen by fetch)");
    expect(report).toContain("GET /ready → 200: body at /: must have required property 'checks' (seen by fetch)");
  });
});
