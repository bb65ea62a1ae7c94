import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import { parse } from "yaml";
import { SMOKE_API_KEY_VARIABLE, smokeMain } from "../cli/smoke.js";
import { buildGraph } from "../graphs/guichet.js";
import { createApp, type AppOptions } from "../server/app.js";
import { answerProblems, healthProblems, readyProblems } from "../tools/deploy/smoke-checks.js";
import { finalEvent } from "../tools/deploy/smoke-client.js";
import { DEFAULT_SMOKE_QUESTIONS, loadSmokeQuestions, parseSmokeQuestions } from "../tools/deploy/smoke-questions.js";
import { ALERT_LIMITS, percentile } from "../tools/deploy/smoke-report.js";
import type { Retriever } from "../tools/search/retriever.js";
import { authSettings } from "../tools/security-config.js";
import { subsetCapabilities, tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

const RULES = "deploy/observability/prometheus/rules/guichet.rules.yml";
const graph = buildGraph();
const capabilities = subsetCapabilities();

interface Running {
  url: string;
  close(): Promise<void>;
}

/** The real app on a free port of 127.0.0.1: the smoke test speaks HTTP to it as it would to a deployment. */
async function serve(overrides: Partial<AppOptions> = {}): Promise<Running> {
  const app = createApp({
    graph, capabilities, logger: pino({ level: "silent" }), maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 10_000, version: "test",
    ...overrides,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port nothing listens on: taken from the system, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dir: string;
let running: Running[] = [];
const start = async (overrides: Partial<AppOptions> = {}) => {
  const r = await serve(overrides);
  running.push(r);
  return r;
};
beforeAll(() => {
  dir = tempDir("guichet-smoke-");
});
afterEach(async () => {
  await Promise.all(running.map((r) => r.close()));
  running = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const questionsFile = (name: string, questions: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(questions));
  return file;
};

async function smoke(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = memoryIo(env);
  const code = await smokeMain(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** The threshold of an alert of the rules file: the number its expression compares with. */
function alertThreshold(name: string): number {
  const rules = parse(readFileSync(RULES, "utf8")) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> };
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  const match = /\s>\s*([\d.]+)\s*$/.exec(rule!.expr.trim());
  return Number(match![1]);
}

describe("npm run smoke against a running app", () => {
  it("passes on the shipped questions: /health, /ready, each answer, with latency and error figures", async () => {
    const app = await start();
    const { code, out, err } = await smoke([app.url]);
    expect(err).toContain(`smoke: 6 questions from ${DEFAULT_SMOKE_QUESTIONS}, no API key`);
    const lines = out.trim().split("\n");
    expect(lines[0]).toBe(`smoke test of ${app.url}`);
    for (const name of ["health", "ready", "passeport-prix", "carte-vitale-perdue", "carte-identite-perdue", "amende-contester", "hors-champ", "donnees-personnelles"]) {
      expect(lines.find((l) => l.trim().split(/\s+/)[1] === name)).toMatch(/^ {2}ok {4}/);
    }
    expect(out).toMatch(/carte-vitale-perdue\s+\/stream\s+\d/);
    expect(out).toMatch(/hors-champ .*0 citations, refused: out_of_scope/);
    expect(out).toMatch(/donnees-personnelles .*redacted: NIR/);
    expect(out).toMatch(/^latency of 6 question requests: p50 [\d.]+ ms, p95 [\d.]+ ms \(threshold 2500 ms\)$/m);
    expect(out).toContain("5xx or no response: 0 of 6 question requests (0.0 %, budget 5.0 %)");
    expect(lines.at(-1)).toBe("smoke passed");
    expect(code).toBe(0);
  });

  it("fails naming the questions whose answers lack citations or are refused when they should not be", async () => {
    const app = await start();
    const file = questionsFile("outside.json", [
      { id: "passeport", question: "Quel est le prix d'un passeport pour un adulte ?", expect: { citations: true } },
      // The driving-licence points fiche is not in the test subset: the real app answers «not found», uncited.
      { id: "permis-points", question: "Combien de points a un permis probatoire ?", expect: { citations: true } },
      { id: "code", question: "Écris-moi un script Python qui trie une liste.", expect: { blocked: false } },
    ]);
    const { code, out } = await smoke([app.url, "--questions", file]);
    expect(out).toMatch(/^ {2}ok {4}passeport /m);
    expect(out).toMatch(/^ {2}FAIL {2}permis-points +\/invoke +[\d.]+ ms {2}no citations$/m);
    expect(out).toMatch(/^ {2}FAIL {2}code .*refused \(out_of_scope\), expected an answer$/m);
    expect(out.trim().split("\n").at(-1)).toBe("smoke FAILED: permis-points: no citations | code: refused (out_of_scope), expected an answer");
    expect(code).toBe(1);
  });

  it("fails on an unreachable URL, naming /health, /ready and the requests that got no response", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, out } = await smoke([url]);
    expect(out).toMatch(/^ {2}FAIL {2}health .*unreachable: fetch failed \(ECONNREFUSED\)$/m);
    expect(out).toMatch(/^ {2}FAIL {2}ready .*unreachable/m);
    expect(out).toContain("latency of 0 question requests: p50 n/a, p95 n/a");
    expect(out).toContain("6 of 6 question requests got a 5xx or no response (100.0 %, budget 5.0 %)");
    expect(code).toBe(1);
  });

  it("gives up on a request after --timeout, naming it", async () => {
    // A bare TCP listener that never answers: a hung upstream, as a load balancer can be.
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { code, out } = await smoke([`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, "--timeout", "200", "--questions", questionsFile("one.json", [{ id: "one", question: "passeport", expect: {} }])]);
      expect(out).toMatch(/^ {2}FAIL {2}health .*no response within 200 ms$/m);
      expect(out).toMatch(/^ {2}FAIL {2}one .*no response within 200 ms$/m);
      expect(code).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("waits for /ready when asked to, and says how long it waited", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const { code, out } = await smoke([url, "--wait", "2"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(out).toMatch(/^ {2}FAIL {2}wait .*not ready after 2 s \(last: unreachable: fetch failed \(ECONNREFUSED\)\)$/m);
    expect(code).toBe(1);
    const app = await start();
    expect((await smoke([app.url, "--wait", "5"])).code).toBe(0);
  });

  it("fails when p95 is over the threshold, every check passing", async () => {
    const app = await start();
    const { code, out } = await smoke([app.url, "--p95", "0.01"]);
    expect(out).not.toContain("FAIL ");
    expect(out).toMatch(/^smoke FAILED: p95 latency [\d.]+ ms is over the 0.01 ms threshold$/m);
    expect(code).toBe(1);
  });

  it("fails when the share of 5xx answers is over the error budget, a stream's error event included", async () => {
    const search = Object.create(capabilities.search) as Retriever;
    search.searchAsync = async () => {
      throw new Error("index unreadable");
    };
    const app = await start({ capabilities: { ...capabilities, search } });
    const { code, out } = await smoke([app.url, "--repeat", "2"]);
    expect(out).toMatch(/^ {2}ok {4}health /m);
    expect(out).toMatch(/^ {2}FAIL {2}passeport-prix#2 .*answered 500, expected 200 \(an unexpected error occurred; it has been logged\)$/m);
    expect(out).toMatch(/^ {2}FAIL {2}carte-vitale-perdue#1 +\/stream .*the stream sent an error event: .*"status":500/m);
    // The out-of-scope question is refused before retrieval: answered, and right.
    expect(out).toMatch(/^ {2}ok {4}hors-champ#2 /m);
    expect(out).toContain("10 of 12 question requests got a 5xx or no response (83.3 %, budget 5.0 %)");
    expect(code).toBe(1);
    const lenient = await smoke([app.url, "--error-budget", "1"]);
    expect(lenient.out).not.toContain("got a 5xx or no response (");
    expect(lenient.code).toBe(1);
  });

  it("sends the API key from the environment only, and never prints it", async () => {
    const key = "gch_smoke-test-key-0123456789";
    const auth = authSettings({ NODE_ENV: "test", GUICHET_API_KEYS: JSON.stringify([{ name: "smoke", sha256: createHash("sha256").update(key).digest("hex") }]) });
    const app = await start({ auth });
    const refused = await smoke([app.url]);
    expect(refused.out).toMatch(/^ {2}FAIL {2}passeport-prix .*answered 401, expected 200/m);
    expect(refused.out).toMatch(/^ {2}ok {4}health /m);
    expect(refused.code).toBe(1);
    const allowed = await smoke([app.url], { [SMOKE_API_KEY_VARIABLE]: key });
    expect(allowed.err).toContain(`API key from ${SMOKE_API_KEY_VARIABLE}`);
    expect(allowed.out + allowed.err).not.toContain(key);
    expect(allowed.code).toBe(0);
    const asArgument = await smoke([app.url, "--api-key", key]);
    expect(asArgument.err).toMatch(/unknown option '--api-key'/);
    expect(asArgument.code).toBe(2);
  });

  it("prints one JSON line with --json, whose limits are the alert rules' thresholds", async () => {
    const app = await start();
    const { code, out } = await smoke([`${app.url}/`, "--json"]);
    const report = JSON.parse(out) as { ok: boolean; base_url: string; checks: Array<{ name: string; problems: string[] }>; p95_ms: number; limits: unknown; failures: string[] };
    expect(report).toMatchObject({ ok: true, base_url: app.url, failures: [], question_requests: 6, server_errors: 0 });
    expect(report.checks.map((c) => c.name)).toEqual(["health", "ready", ...loadSmokeQuestions(DEFAULT_SMOKE_QUESTIONS).map((q) => q.id)]);
    expect(report.p95_ms).toBeGreaterThan(0);
    expect(report.limits).toEqual({ p95Ms: alertThreshold("GuichetSlowAnswers") * 1000, errorBudget: alertThreshold("GuichetHighErrorRate") });
    expect(code).toBe(0);
  });
});

describe("the smoke test's defaults and inputs", () => {
  it("default to the thresholds of the p95 latency and error-rate alerts", () => {
    expect(ALERT_LIMITS).toEqual({ p95Ms: 2500, errorBudget: 0.05 });
    expect(alertThreshold("GuichetSlowAnswers") * 1000).toBe(ALERT_LIMITS.p95Ms);
    expect(alertThreshold("GuichetHighErrorRate")).toBe(ALERT_LIMITS.errorBudget);
  });

  it("ship questions that must be cited, one that must be refused, one whose personal data must be redacted, one streamed", () => {
    const questions = loadSmokeQuestions(DEFAULT_SMOKE_QUESTIONS);
    expect(questions.filter((q) => q.expect.citations === true).length).toBeGreaterThanOrEqual(3);
    expect(questions.filter((q) => q.expect.blocked === "out_of_scope")).toHaveLength(1);
    expect(questions.filter((q) => q.expect.redacted?.includes("NIR"))).toHaveLength(1);
    expect(questions.some((q) => q.route === "stream" && q.expect.citations)).toBe(true);
  });

  it("refuse a bad URL, a missing one and a questions file that does not parse, with exit code 2", async () => {
    expect((await smoke([])).err).toMatch(/missing required argument 'base-url'/);
    const ftp = await smoke(["ftp://example.org"]);
    expect([ftp.code, ftp.err]).toEqual([2, expect.stringContaining("must be an http or https URL")]);
    expect((await smoke(["not a url"])).code).toBe(2);
    const credentials = await smoke(["https://user:pw@example.org"]);
    expect(credentials.err).toContain(`must not hold credentials: set ${SMOKE_API_KEY_VARIABLE}`);
    const bad = questionsFile("bad.json", [{ id: "x", question: "q", expect: { citation: true } }]);
    const badRun = await smoke(["http://127.0.0.1:1", "--questions", bad]);
    expect([badRun.code, badRun.err]).toEqual([2, expect.stringContaining(`${bad}: 0.expect: Unrecognized key: "citation"`)]);
    expect((await smoke(["http://127.0.0.1:1", "--repeat", "0"])).err).toContain("must be a whole number above 0");
    expect((await smoke(["http://127.0.0.1:1", "--error-budget", "2"])).err).toContain("must be a share between 0 and 1");
    expect((await smoke(["--help"])).code).toBe(0);
  });

  it("validate the questions file: JSON, at least one question, known fields, distinct ids", () => {
    expect(() => parseSmokeQuestions("{", "f.json")).toThrow(/^f\.json: not JSON/);
    expect(() => parseSmokeQuestions("[]", "f.json")).toThrow(/^f\.json: \(top level\): /);
    expect(() => parseSmokeQuestions('[{"id": "a b", "question": "q", "expect": {}}]', "f.json")).toThrow(/^f\.json: 0\.id: must be 1 to 64/);
    expect(() => parseSmokeQuestions('[{"id": "a", "question": "q", "route": "ask", "expect": {}}]', "f.json")).toThrow(/^f\.json: 0\.route: /);
    const twice = '[{"id": "a", "question": "q", "expect": {}}, {"id": "a", "question": "r", "expect": {}}]';
    expect(() => parseSmokeQuestions(twice, "f.json")).toThrow('f.json: the id "a" is used twice');
    expect(parseSmokeQuestions('[{"id": "a", "question": "q", "expect": {"blocked": false}}]', "f.json")).toEqual([{ id: "a", question: "q", route: "invoke", expect: { blocked: false } }]);
  });
});

describe("the smoke test's checks", () => {
  const good = { answer: "Le passeport coûte 86 €. [1]", citations: [{ url: "https://www.service-public.fr/particuliers/vosdroits/F34752" }], blocked: false, redacted: [] };

  it("want an answer text, https citations when cited, none when not", () => {
    expect(answerProblems({ citations: true, blocked: false }, good)).toEqual([]);
    expect(answerProblems({}, { ...good, answer: " " })).toEqual(["no answer text"]);
    expect(answerProblems({}, "text")).toEqual(["the response is not a JSON object"]);
    expect(answerProblems({ citations: true }, { ...good, citations: [{ url: "http://www.service-public.fr/x" }, {}] })).toEqual([
      "citation 1 has no https URL (http://www.service-public.fr/x)",
      "citation 2 has no https URL (undefined)",
    ]);
    expect(answerProblems({ citations: false }, good)).toEqual(["1 citation, expected none"]);
    expect(answerProblems({ citations: true }, { answer: "x" })).toEqual(["no citations field"]);
  });

  it("want the expected refusal, the redaction, and the personal data nowhere in the response", () => {
    expect(answerProblems({ blocked: "out_of_scope" }, good)).toEqual(['not refused, expected a refusal "out_of_scope"']);
    expect(answerProblems({ blocked: "out_of_scope" }, { ...good, blocked: { reason: "harm" } })).toEqual(['refused as "harm", expected "out_of_scope"']);
    expect(answerProblems({ redacted: ["NIR", "IBAN"] }, { ...good, redacted: ["IBAN"] })).toEqual(["personal data not redacted: NIR (redacted: IBAN)"]);
    expect(answerProblems({ redacted: ["NIR"] }, { answer: "x" })).toEqual(["personal data not redacted: NIR (redacted: none)"]);
    const leaked = answerProblems({ absent: ["1 85 05"] }, { ...good, understood_as: "mon NIR 1 85 05" });
    expect(leaked).toEqual(["the response contains the text of expect.absent[0]"]);
    expect(leaked.join()).not.toContain("1 85 05");
  });

  it("want /health ok and /ready 200 with ready true, naming what is down", () => {
    expect(healthProblems(200, { status: "ok" })).toEqual([]);
    expect(healthProblems(200, { status: "degraded" })).toEqual(['status is "degraded", expected "ok"']);
    expect(healthProblems(502, undefined)).toEqual(["answered 502, expected 200"]);
    expect(healthProblems(200, undefined)).toEqual(["the response is not a JSON object"]);
    expect(readyProblems(200, { ready: true, checks: {} })).toEqual([]);
    expect(readyProblems(503, { ready: false, checks: { index: { status: "down" }, redis: { status: "degraded" } } })).toEqual(["answered 503, expected 200 (down: index)"]);
    expect(readyProblems(200, { ready: false })).toEqual(["ready is not true"]);
  });

  it("read the final event of a stream, and report an error event or a missing final", () => {
    expect(finalEvent('event: token\ndata: {"text":"a"}\n\nevent: final\ndata: {"answer":"a"}\n\n')).toEqual({ value: { answer: "a" } });
    expect(finalEvent('event: error\ndata: {"status":500}\n\n').error).toBe('the stream sent an error event: {"status":500}');
    expect(finalEvent('event: token\ndata: {"text":"a"}\n\n').error).toBe("the stream ended without a final event (1 events)");
    expect(finalEvent("event: final\ndata: {oops\n\n").error).toMatch(/^the body is not JSON/);
  });

  it("take p95 by nearest rank", () => {
    expect(percentile([], 95)).toBeNaN();
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile(Array.from({ length: 20 }, (_, i) => i + 1), 95)).toBe(19);
  });
});
