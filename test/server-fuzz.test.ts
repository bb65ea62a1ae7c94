import { createHash } from "node:crypto";
import { Agent, request as httpRequest, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { deflateSync, gzipSync } from "node:zlib";
import { buildGraph } from "../graphs/guichet.js";
import { createApp, installClientErrorHandler } from "../server/app.js";
import { createRateLimiter, type RateLimiter } from "../server/rate-limit.js";
import { createLogger } from "../tools/logger.js";
import { authSettings } from "../tools/security-config.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

/** The question routes under fuzz (each gets the same share of cases). */
const ROUTES = ["/invoke", "/stream"] as const;

const HTTP_CASES = 5_000;
const RAW_CASES = 400;
const CONCURRENCY = 8;
const SEED = Number(process.env.GUICHET_FUZZ_SEED ?? Date.now() % 2 ** 31);
const KEY = "gch_fuzz-key-0123456789abcdef";
const RESPONSE_KEYS = ["actions", "answer", "blocked", "cache", "citations", "degraded", "found", "language", "redacted", "sources", "timings", "trace_id"];

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, bytes };
}

type Rng = ReturnType<typeof prng>;

interface Case {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

const QUESTIONS = ["Comment obtenir une carte Vitale ?", "passeport perdu", "amende stationnement", "Wie beantrage ich?", "a"];
const ODD_TEXT = [
  "\u0000", "\u200b\u200d\ufeff", "\u202e", "😀", "\ud800", "\udfff", "é", "e\u0301", "ﬁ", "ᴵ", "\u2028", "\\u0000",
  "' OR 1=1 --", "<script>", "${jndi:ldap://x}", "{{7*7}}", "../../etc/passwd", "%00", "\r\n", "\t", "ıİ", "ß", "Ω",
];

function unicodeText(rng: Rng, max: number): string {
  let text = "";
  const length = rng.int(max);
  while (text.length < length) {
    const r = rng.next();
    if (r < 0.3) text += rng.pick(ODD_TEXT);
    else if (r < 0.6) text += String.fromCharCode(0x20 + rng.int(0x5f));
    else if (r < 0.8) text += String.fromCodePoint(rng.int(0x10ffff + 1) & ~0 /* any code point, surrogates included */);
    else text += rng.pick(QUESTIONS);
  }
  return text;
}

function randomJson(rng: Rng, depth = 0): unknown {
  const r = rng.int(depth > 3 ? 5 : 8);
  switch (r) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return rng.pick([0, -1, 1e308, -0, 3.14, Number.MAX_SAFE_INTEGER + 2]);
    case 3:
      return unicodeText(rng, 40);
    case 4:
      return rng.pick(QUESTIONS);
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) {
        obj[rng.pick(["question", "language", "thread_id", "__proto__", "constructor", "q", "", unicodeText(rng, 8)])] = randomJson(rng, depth + 1);
      }
      return obj;
    }
  }
}

function deeplyNested(rng: Rng): string {
  const depth = 1 + rng.int(6000);
  const open = rng.next() < 0.5 ? "[" : '{"question":';
  const close = open === "[" ? "]" : "}";
  return open.repeat(depth) + '"x"' + close.repeat(rng.next() < 0.9 ? depth : rng.int(depth));
}

/** A JSON body: mostly invalid for the schema, some valid questions, some not JSON at all. */
function body(rng: Rng): Buffer {
  const r = rng.int(14);
  switch (r) {
    case 0:
      return rng.bytes(rng.int(300));
    case 1:
      // Invalid UTF-8 inside a JSON string.
      return Buffer.concat([Buffer.from('{"question":"'), rng.pick([Buffer.from([0xc3]), Buffer.from([0xff, 0xfe]), Buffer.from([0xed, 0xa0, 0x80]), rng.bytes(8)]), Buffer.from('"}')]);
    case 2:
      return Buffer.from(deeplyNested(rng));
    case 3:
      return Buffer.from(JSON.stringify({ question: "x".repeat(rng.pick([499, 500, 501, 20_000])) }));
    case 4:
      return Buffer.from(JSON.stringify({ question: unicodeText(rng, 600), language: rng.pick(["fr", "en", "xx-", 42, "", "zh-Hant"]) }));
    case 5:
      return Buffer.from(JSON.stringify({ question: rng.pick(QUESTIONS), thread_id: rng.pick(["", "t".repeat(200), 7, null, "ok-1"]) }));
    case 6:
      return Buffer.from(rng.pick(["", " ", "{", "}", "null", "[]", "\"q\"", "1e99999", "{\"question\":}", "{'question':'x'}", "\ufeff{}", "{\"question\":\"a\",}"]));
    case 7:
      // Valid questions: these run the graph.
      return Buffer.from(JSON.stringify({ question: rng.pick(QUESTIONS) }));
    case 8:
      return Buffer.from(JSON.stringify({ question: rng.pick(QUESTIONS), extra: randomJson(rng) }));
    case 9:
      return Buffer.from(JSON.stringify({ question: unicodeText(rng, 80) }));
    case 10:
      return Buffer.from('{"question":"' + "\\ud800".repeat(rng.int(20)) + '"}');
    default:
      return Buffer.from(JSON.stringify(randomJson(rng)));
  }
}

const CONTENT_TYPES = [
  "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/problem+json",
  "application/vnd.api+json", "application/json; charset=utf-16", "application/json; charset=latin1",
  "application/json; charset=nope", "application/json;;;", "application/jsonx", "text/plain", "text/json",
  "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "*/*", "", "application/json, text/plain",
];

function headerValue(rng: Rng, max = 64): string {
  // Visible latin-1 and tabs only: what Node's client lets through (the raw socket cases send the rest).
  return Array.from({ length: rng.int(max) }, () => String.fromCharCode(rng.pick([9, ...Array.from({ length: 94 }, (_, i) => 32 + i), 0xe9, 0xff]))).join("");
}

function httpCase(rng: Rng): Case {
  const headers: Record<string, string | string[]> = {};
  let payload = body(rng);
  const type = rng.pick(CONTENT_TYPES);
  if (type !== "" || rng.next() < 0.5) headers["content-type"] = type === "" ? "application/json" : type;
  const auth = rng.next();
  if (auth < 0.75) {
    if (rng.next() < 0.5) headers["x-api-key"] = KEY;
    else headers.authorization = `Bearer ${KEY}`;
  }
  else if (auth < 0.8) headers["x-api-key"] = [KEY, KEY];
  else if (auth < 0.85) headers.authorization = rng.pick(["Bearer", "Bearer ", "Basic abc", `Bearer ${KEY} extra`, "Bearer a.b.c", `bearer   ${KEY}`]);
  else if (auth < 0.9) headers.authorization = `Bearer ${headerValue(rng, 200)}`;
  const extra = rng.next();
  if (extra < 0.15) {
    const encoding = rng.pick(["gzip", "deflate", "br", "identity", "xyz", "gzip, gzip"]);
    headers["content-encoding"] = encoding;
    if (encoding === "gzip" && rng.next() < 0.7) payload = gzipSync(payload);
    if (encoding === "deflate" && rng.next() < 0.7) payload = deflateSync(payload);
  } else if (extra < 0.25) {
    headers["x-request-id"] = headerValue(rng, 300);
    headers.traceparent = rng.pick(["00-" + "0".repeat(32) + "-" + "0".repeat(16) + "-01", headerValue(rng), "garbage"]);
  } else if (extra < 0.3) {
    headers.origin = rng.pick(["https://evil.example", "null", headerValue(rng)]);
    headers.cookie = headerValue(rng);
  } else if (extra < 0.33) {
    headers["x-forwarded-for"] = rng.pick(["1.2.3.4", "::1, 10.0.0.1", headerValue(rng)]);
  } else if (extra < 0.36) {
    payload = Buffer.concat([Buffer.from(JSON.stringify({ question: "a".repeat(rng.int(30_000)) }))]);
  }
  const methodRoll = rng.next();
  const method = methodRoll < 0.9 ? "POST" : rng.pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]);
  const route = rng.pick(ROUTES);
  const pathRoll = rng.next();
  const path =
    pathRoll < 0.9 ? route : rng.pick([`${route}/`, route.toUpperCase(), `${route}?x=1&x=2`, `${route}%00`, `${route}/..`, `/${route}`, `${route}#x`]);
  return { method, path, headers, ...(method === "GET" || method === "HEAD" ? {} : { body: payload }) };
}

/** Bytes no well-behaved client sends: bad framing, bad request lines, bad header bytes. */
function rawCase(rng: Rng, route: string): Buffer {
  const json = Buffer.from(JSON.stringify({ question: rng.pick(QUESTIONS) }));
  const auth = `X-API-Key: ${KEY}\r\n`;
  const head = (extra: string) => `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${auth}${extra}\r\n`;
  switch (rng.int(12)) {
    case 0:
      return Buffer.from(head(`Content-Length: ${rng.pick(["abc", "-1", "1e3", "99999999999999999999", " 5", "5, 6"])}\r\n`) + json.toString());
    case 1:
      // Shorter than the body: the rest is read as the next (garbage) request.
      return Buffer.concat([Buffer.from(head(`Content-Length: ${rng.int(json.length)}\r\n`)), json]);
    case 2:
      return Buffer.concat([Buffer.from(head(`Content-Length: ${json.length}\r\nTransfer-Encoding: chunked\r\n`)), json]);
    case 3:
      return Buffer.from(head("Transfer-Encoding: chunked\r\n") + rng.pick(["zz\r\nabc\r\n0\r\n\r\n", "5\r\nabc\r\n0\r\n\r\n", "-1\r\n\r\n", "3;x=\u0000\r\nabc\r\n0\r\n\r\n"]));
    case 4:
      return Buffer.concat([rng.bytes(1 + rng.int(200)), Buffer.from("\r\n\r\n")]);
    case 5:
      return Buffer.from(`${rng.pick(["POST", "P0ST", "", "GET GET"])} ${rng.pick([route, "", "http://x" + route, "*"])} ${rng.pick(["HTTP/1.1", "HTTP/9.9", "HTTP/1", "FOO"])}\r\nHost: x\r\n\r\n`);
    case 6:
      return Buffer.concat([Buffer.from(head(`X-Bad: a\u0000b\r\nContent-Length: ${json.length}\r\n`), "latin1"), json]);
    case 7:
      return Buffer.concat([Buffer.from(head(`No colon header\r\nContent-Length: ${json.length}\r\n`)), json]);
    case 8:
      return Buffer.from(head(`X-Huge: ${"h".repeat(20_000)}\r\nContent-Length: 2\r\n`) + "{}");
    case 9:
      return Buffer.concat([Buffer.from(`POST ${route} HTTP/1.0\r\nContent-Type: application/json\r\n${auth}Content-Length: ${json.length}\r\n\r\n`), json]);
    case 10:
      // Two requests pipelined on one connection, the second one broken.
      return Buffer.concat([Buffer.from(head(`Content-Length: ${json.length}\r\n`)), json, Buffer.from("GARBAGE\r\n\r\n")]);
    default:
      return Buffer.concat([Buffer.from(head(`Content-Length: ${json.length}\r\n`)), rng.bytes(json.length)]);
  }
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  method: string;
  /** The connection closed before the end of a chunked body (a raw client that hung up mid-stream). */
  truncated?: boolean;
}

const failures: string[] = [];
const statuses = new Map<number, number>();

function check(answer: Answer, what: string): void {
  statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  const fail = (why: string): void => {
    failures.push(`${what}: ${why} (status ${answer.status}, ${answer.contentType}) ${answer.text.slice(0, 200)}`);
  };
  if (answer.status >= 500) return fail("server error");
  if (answer.method === "HEAD") return;
  // A CORS preflight answer (an allow-list is configured): no body by design.
  if (answer.method === "OPTIONS" && answer.status === 204 && answer.text === "") return;
  if (answer.status === 200 && answer.contentType.startsWith("text/event-stream")) {
    // /stream: events, the last one the same JSON as /invoke (or an error event carrying a problem).
    const events = [...answer.text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)];
    const last = events.at(-1);
    // A raw client that closed its side cancels the run: the stream may stop early, but what came must be events.
    if (answer.truncated && (!last || (last[1] !== "final" && last[1] !== "error"))) {
      if (answer.text.trim() !== "" && events.length === 0) fail("truncated stream without events");
      return;
    }
    if (!last || (last[1] !== "final" && last[1] !== "error")) return fail("stream without a final or error event");
    try {
      const body = JSON.parse(last[2]!) as Record<string, unknown>;
      if (last[1] === "final" && Object.keys(body).sort().join() !== RESPONSE_KEYS.join()) fail("final event with unexpected keys");
      if (last[1] === "error" && typeof body.status !== "number") fail("error event without a problem");
    } catch {
      fail("stream event is not JSON");
    }
    return;
  }
  if (answer.status === 200) {
    // A stream that started ends with the /invoke JSON as its `final` event (or an `error` event).
    const streamed = answer.contentType.startsWith("text/event-stream");
    if (!streamed && !answer.contentType.startsWith("application/json")) return fail("answer without JSON content type");
    // The raw-socket parser reads Content-Length bodies only: a chunked stream's body is checked by the HTTP cases.
    if (streamed && answer.text === "") return;
    const last = streamed ? /event: (final|error)\ndata: (.+)\n\n$/.exec(answer.text) : null;
    if (streamed && !last) return fail("stream without a final or error event");
    if (last?.[1] === "error") return fail("stream ended with an error event");
    try {
      const body = JSON.parse(last ? last[2]! : answer.text) as Record<string, unknown>;
      if (Object.keys(body).sort().join() !== RESPONSE_KEYS.join()) fail("answer with unexpected keys");
      if (typeof body.answer !== "string") fail("answer is not a string");
    } catch {
      fail("answer is not JSON");
    }
    return;
  }
  if (answer.status < 400) return fail("unexpected status");
  if (!answer.contentType.startsWith("application/problem+json")) return fail("error without problem content type");
  try {
    const problem = JSON.parse(answer.text) as Record<string, unknown>;
    if (problem.status !== answer.status || typeof problem.type !== "string" || typeof problem.detail !== "string") {
      fail("malformed problem");
    }
    if (/\bat .*\.(?:ts|js):\d+/.test(answer.text)) fail("stack trace in the problem");
  } catch {
    fail("problem is not JSON");
  }
}

function send(port: number, agent: Agent, c: Case): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    let req;
    try {
      req = httpRequest({ host: "127.0.0.1", port, method: c.method, path: c.path, headers: c.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString("utf8"), method: c.method }),
        );
        res.on("error", () => resolve(undefined));
      });
    } catch {
      resolve(undefined); // Node's client refused to send it (e.g. an invalid path): nothing reached the server.
      return;
    }
    req.on("error", () => resolve(undefined));
    req.end(c.body);
  });
}

/** Every HTTP response on a raw connection, until the server closes it (or 3 s pass). */
function sendRaw(port: number, bytes: Buffer): Promise<Answer[]> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponses(Buffer.concat(chunks)));
    };
    const timer = setTimeout(done, 3000);
    socket.on("error", done);
    socket.on("close", done);
    socket.write(bytes, () => socket.end());
  });
}

/** A chunked body: its text, whether the connection ended before the last chunk, and what follows it. */
function dechunk(data: Buffer): { text: string; truncated: boolean; rest: Buffer } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const line = data.indexOf("\r\n", at);
    if (line === -1) return { text: Buffer.concat(parts).toString("utf8"), truncated: true, rest: Buffer.alloc(0) };
    const size = parseInt(data.subarray(at, line).toString("latin1"), 16);
    if (!Number.isFinite(size)) return { text: Buffer.concat(parts).toString("utf8"), truncated: true, rest: Buffer.alloc(0) };
    if (size === 0) return { text: Buffer.concat(parts).toString("utf8"), truncated: false, rest: data.subarray(line + 4) };
    parts.push(data.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
}

function parseResponses(raw: Buffer): Answer[] {
  const answers: Answer[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) break;
    const head = rest.subarray(0, end).toString("latin1");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? "0");
    const contentType = /\r\ncontent-type: *([^\r]+)/i.exec(head)?.[1] ?? "";
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const body = dechunk(rest.subarray(end + 4));
      answers.push({ status, contentType, text: body.text, method: "POST", truncated: body.truncated });
      rest = body.rest;
      continue;
    }
    const declared = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (declared === undefined && rest.length > end + 4) {
      // No length and not chunked (an answer to HTTP/1.0): the body runs until the server closes the connection.
      answers.push({ status, contentType, text: rest.subarray(end + 4).toString("utf8"), method: "POST", truncated: true });
      break;
    }
    const length = Number(declared ?? "0");
    const text = rest.subarray(end + 4, end + 4 + length).toString("utf8");
    answers.push({ status, contentType, text, method: "POST" });
    rest = rest.subarray(end + 4 + length);
  }
  return answers;
}

let server: Server;
let port: number;
let rateLimiter: RateLimiter;
let logs = "";

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const logger = createLogger("warn", "guichet", sink);
  rateLimiter = await createRateLimiter({ perMinute: 1_000_000, prefix: "fuzz:", logger });
  const app = createApp({
    graph: buildGraph(),
    capabilities: subsetCapabilities(),
    logger,
    maxQuestionLength: 500,
    topK: 10,
    maxPerFiche: 2,
    requestTimeoutMs: 5000,
    version: "0",
    auth: authSettings({ NODE_ENV: "test", GUICHET_API_KEYS: JSON.stringify([{ name: "fuzz", sha256: createHash("sha256").update(KEY).digest("hex") }]) }),
    rateLimiter,
    cors: { origins: ["https://portail.example.fr"], credentials: false },
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  installClientErrorHandler(server);
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await rateLimiter.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it(`survives ${HTTP_CASES} malformed HTTP requests and ${RAW_CASES} raw byte streams (seed ${SEED})`, async () => {
  process.stdout.write(`server-fuzz seed: ${SEED} (rerun with GUICHET_FUZZ_SEED=${SEED})\n`);
  const rng = prng(SEED);
  const started = performance.now();
  const cases = Array.from({ length: HTTP_CASES }, () => httpCase(rng));
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let answered = 0;
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const answer = await send(port, agent, cases[i]!);
      if (answer) {
        answered++;
        check(answer, `case ${i} ${cases[i]!.method} ${cases[i]!.path}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  const httpMs = performance.now() - started;

  let rawAnswers = 0;
  const raws = Array.from({ length: RAW_CASES }, () => rawCase(rng, rng.pick(ROUTES)));
  let nextRaw = 0;
  const rawWorker = async () => {
    while (nextRaw < raws.length) {
      const i = nextRaw++;
      for (const answer of await sendRaw(port, raws[i]!)) {
        rawAnswers++;
        check(answer, `raw case ${i}${process.env.FUZZ_DEBUG ? ` ${raws[i]!.subarray(0, 120).toString("latin1")}` : ""}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, rawWorker));

  const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(" ");
  const rawMs = performance.now() - started - httpMs;
  process.stdout.write(
    `server-fuzz statuses: ${summary}; raw answers: ${rawAnswers}; http ${Math.round(httpMs)} ms, raw ${Math.round(rawMs)} ms\n`,
  );
  expect(failures.length === 0 ? [] : [`${failures.length} failures, seed ${SEED}`, ...failures.slice(0, 10)]).toEqual([]);
  // Almost every case gets an answer (a few are refused by Node's own client before sending).
  expect(answered).toBeGreaterThan(HTTP_CASES * 0.95);
  expect(rawAnswers).toBeGreaterThan(RAW_CASES * 0.5);
  // The mix reaches the graph, the validation, the auth and the parser.
  for (const status of [200, 400, 401, 405, 413]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
  expect(logs).not.toContain("unhandled error");
  // Still alive and answering.
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  expect(health.status).toBe(200);
  expect(server.listening).toBe(true);
}, 300_000);
