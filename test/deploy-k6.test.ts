import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import vm from "node:vm";
import { Linter } from "eslint";
import { parse } from "yaml";
import { tempDir } from "./helpers/fixtures.js";

const SCRIPT = "load/k6.js";
const RULES = "deploy/observability/prometheus/rules/guichet.rules.yml";
const source = readFileSync(SCRIPT, "utf8");

interface Scenario {
  executor: string;
  exec: string;
  startTime: string;
  gracefulStop: string;
  duration?: string;
  stages?: Array<{ duration: string; target: number }>;
  rate?: number;
  startRate?: number;
  vus?: number;
  maxVUs?: number;
}
interface K6Options {
  scenarios: Record<string, Scenario>;
  thresholds: Record<string, Array<string | { threshold: string }>>;
}
interface Sent {
  url: string;
  body: string;
  params: { headers: Record<string, string>; tags: Record<string, string>; timeout: string };
}
interface Reply {
  status: number;
  body: string;
}

/**
 * The script evaluated as k6 would run it, in a context of its own, with k6's modules replaced by recorders: what it
 * exports, the requests it sends, its checks and its response callback. k6 itself is not installable here (not in
 * Debian; its releases are downloads from elsewhere).
 */
async function loadK6(text: string, env: Record<string, string>, reply: (sent: Sent) => Reply = () => ({ status: 200, body: '{"answer":"a"}' })) {
  const sent: Sent[] = [];
  const checks: Record<string, { passes: number; fails: number }> = {};
  const sleeps: number[] = [];
  let responseCallback: unknown;
  const context = vm.createContext({ __ENV: env, __VU: 0, open: (path: string) => readFileSync(resolve(dirname(SCRIPT), path), "utf8") });
  const stubs: Record<string, Record<string, unknown>> = {
    "k6/http": {
      default: {
        post: (url: string, body: string, params: Sent["params"]) => {
          const request = { url, body, params };
          sent.push(request);
          return reply(request);
        },
        expectedStatuses: (...ranges: unknown[]) => ({ expectedStatuses: ranges }),
        setResponseCallback: (callback: unknown) => void (responseCallback = callback),
      },
    },
    k6: {
      // As k6 does, every condition is evaluated, even after one fails.
      check: (value: unknown, sets: Record<string, (v: unknown) => boolean>) =>
        Object.entries(sets)
          .map(([name, test]) => {
            const ok = test(value);
            checks[name] ??= { passes: 0, fails: 0 };
            checks[name][ok ? "passes" : "fails"]++;
            return ok;
          })
          .every(Boolean),
      sleep: (s: number) => void sleeps.push(s),
    },
    "k6/data": { SharedArray: function SharedArray(_name: string, make: () => unknown[]) { return make(); } },
  };
  const module = new vm.SourceTextModule(text, { context, identifier: SCRIPT });
  await module.link(async (specifier) => {
    const exports = stubs[specifier];
    if (!exports) throw new Error(`the script imports ${specifier}, which is not one of k6's modules stubbed here`);
    return new vm.SyntheticModule(Object.keys(exports), function (this: vm.SyntheticModule) {
      for (const [name, value] of Object.entries(exports)) this.setExport(name, value);
    }, { context });
  });
  await module.evaluate();
  const exported = module.namespace as { options: K6Options; openLoop(): void; closedLoop(): void; default: () => void } & Record<string, unknown>;
  return { exported, sent, checks, sleeps, responseCallback: () => responseCallback, setVu: (vu: number) => (context.__VU = vu) };
}

const BASE = { BASE_URL: "https://guichet-staging.example.org/" };

/** The threshold of an alert: the number its expression compares with; and the routes it watches. */
function alert(name: string): { threshold: number; routes: string[] } {
  const rules = parse(readFileSync(RULES, "utf8")) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> };
  const expr = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === name)!.expr.trim();
  const routes = /route=~"([^"]+)"/.exec(expr)![1]!.split("|").map((r) => r.replace(/^\//, ""));
  return { threshold: Number(/\s>\s*([\d.]+)$/.exec(expr)![1]), routes };
}

const expressions = (list: K6Options["thresholds"][string] | undefined) => (list ?? []).map((t) => (typeof t === "string" ? t : t.threshold));

/** What keeps the script's thresholds from being the alert rules' ones. */
function thresholdProblems(options: K6Options): string[] {
  const slow = alert("GuichetSlowAnswers");
  const failing = alert("GuichetHighErrorRate");
  const wanted: Array<[string, string, string]> = [
    ...slow.routes.map((route): [string, string, string] => [`http_req_duration{route:${route}}`, `p(95)<${slow.threshold * 1000}`, "GuichetSlowAnswers"]),
    ...failing.routes.map((route): [string, string, string] => [`http_req_failed{route:${route}}`, `rate<${failing.threshold}`, "GuichetHighErrorRate"]),
  ];
  return wanted.flatMap(([metric, expression, rule]) => {
    const got = expressions(options.thresholds[metric]);
    return got.length === 1 && got[0] === expression ? [] : [`${metric}: ${JSON.stringify(got)}, expected ["${expression}"] (${rule})`];
  });
}

const seconds = (d: string) => {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d)!;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
};
const span = (s: Scenario) => (s.stages ? s.stages.reduce((sum, st) => sum + seconds(st.duration), 0) : seconds(s.duration!)) + seconds(s.gracefulStop);

const EXECUTORS: Record<string, string> = { ramp: "ramping-vus", steady: "constant-arrival-rate", spike: "ramping-arrival-rate", soak: "constant-vus" };

/** What keeps the scenarios from being a ramp, a steady load, a spike and a soak, run one after the other. */
function scenarioProblems(options: K6Options, exported: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const entries = Object.entries(options.scenarios);
  for (const name of Object.keys(EXECUTORS)) if (!options.scenarios[name]) problems.push(`no ${name} scenario`);
  let free = 0;
  for (const [name, s] of entries) {
    if (EXECUTORS[name] && s.executor !== EXECUTORS[name]) problems.push(`${name}: executor ${s.executor}, expected ${EXECUTORS[name]}`);
    if (typeof exported[s.exec] !== "function") problems.push(`${name}: exec "${s.exec}" is not an exported function`);
    if (seconds(s.startTime) < free) problems.push(`${name}: starts at ${s.startTime}, before the previous scenario ends (${free}s)`);
    free = seconds(s.startTime) + span(s);
  }
  const ramp = options.scenarios.ramp;
  if (ramp && !(ramp.stages!.some((st) => st.target > 0) && ramp.stages!.at(-1)!.target === 0)) problems.push("ramp: does not go up then down");
  const spike = options.scenarios.spike;
  if (spike && !(Math.max(...spike.stages!.map((st) => st.target)) >= 5 * spike.startRate!)) problems.push("spike: its peak is not 5 times its base rate");
  const soak = options.scenarios.soak;
  if (soak && seconds(soak.duration!) < 30 * 60) problems.push(`soak: lasts ${soak.duration}, under 30 minutes`);
  return problems;
}

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe("load/k6.js as a file", () => {
  it("parses as an ES module (node --check reads the syntax without resolving k6's imports), a broken copy does not", () => {
    const ok = spawnSync(process.execPath, ["--check", SCRIPT], { encoding: "utf8" });
    expect([ok.status, ok.stderr]).toEqual([0, ""]);
    const dir = tempDir("guichet-k6-");
    dirs.push(dir);
    const broken = join(dir, "k6.mjs");
    writeFileSync(broken, source.replace("export function openLoop() {", "export function openLoop( {"));
    const bad = spawnSync(process.execPath, ["--check", broken], { encoding: "utf8" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("SyntaxError");
  });

  it("uses only ES2017 syntax, which every k6 release runs", () => {
    const linter = new Linter();
    const config = [{ languageOptions: { ecmaVersion: 2017 as const, sourceType: "module" as const } }];
    expect(linter.verify(source, config).filter((m) => m.fatal)).toEqual([]);
    const modern = source.replace("item && item.question", "item?.question");
    expect(linter.verify(modern, config).filter((m) => m.fatal).map((m) => m.message)).toEqual([expect.stringMatching(/^Parsing error: Unexpected token/)]);
  });
});

describe("the k6 options", () => {
  it("run a ramp, a steady load, a spike and a soak, one after the other, each with its executor", async () => {
    const { exported } = await loadK6(source, BASE);
    const { scenarios } = exported.options;
    expect(Object.keys(scenarios)).toEqual(["ramp", "steady", "spike", "soak"]);
    expect(scenarioProblems(exported.options, exported)).toEqual([]);
    expect(Object.fromEntries(Object.entries(scenarios).map(([name, s]) => [name, [s.executor, s.exec, s.startTime]]))).toEqual({
      ramp: ["ramping-vus", "closedLoop", "0s"],
      steady: ["constant-arrival-rate", "openLoop", "140s"],
      spike: ["ramping-arrival-rate", "openLoop", "450s"],
      soak: ["constant-vus", "closedLoop", "540s"],
    });
    expect(scenarios.steady).toMatchObject({ rate: 5, timeUnit: "1s", duration: "5m", maxVUs: 150 });
    expect(scenarios.spike!.stages!.map((s) => s.target)).toEqual([50, 50, 5]);
    expect(scenarios.soak).toMatchObject({ vus: 10, duration: "30m" });
  });

  it("hold the thresholds of the alert rules: p95 under 2.5 s and under 5 % failed, on /invoke and /stream", async () => {
    const { exported, responseCallback } = await loadK6(source, BASE);
    expect(alert("GuichetSlowAnswers")).toEqual({ threshold: 2.5, routes: ["invoke", "stream"] });
    expect(alert("GuichetHighErrorRate")).toEqual({ threshold: 0.05, routes: ["invoke", "stream"] });
    expect(thresholdProblems(exported.options)).toEqual([]);
    expect(exported.options.thresholds.checks).toEqual(["rate>0.95"]);
    // http_req_failed counts what the alert counts: a 5xx or no response, not a 4xx.
    expect(responseCallback()).toEqual({ expectedStatuses: [{ min: 200, max: 499 }] });
  });

  it("make the checks fail on a copy whose thresholds or scenarios drift from what is specified", async () => {
    const slower = await loadK6(source.replace("const P95_MS = 2500;", "const P95_MS = 5000;"), BASE);
    expect(thresholdProblems(slower.exported.options)).toEqual([
      'http_req_duration{route:invoke}: ["p(95)<5000"], expected ["p(95)<2500"] (GuichetSlowAnswers)',
      'http_req_duration{route:stream}: ["p(95)<5000"], expected ["p(95)<2500"] (GuichetSlowAnswers)',
    ]);
    const noStream = await loadK6(source.replace('    "http_req_failed{route:stream}": [`rate<${ERROR_RATE}`],\n', ""), BASE);
    expect(thresholdProblems(noStream.exported.options)).toEqual(['http_req_failed{route:stream}: [], expected ["rate<0.05"] (GuichetHighErrorRate)']);
    const drifted = source
      .replace('const SCENARIO_NAMES = ["ramp", "steady", "spike", "soak"];', 'const SCENARIO_NAMES = ["ramp", "steady", "spike"];')
      .replace('executor: "ramping-arrival-rate"', 'executor: "constant-arrival-rate"')
      .replace("start += lengthOf(name, scenario);", "start += 5;");
    const broken = await loadK6(drifted, { ...BASE, SCENARIOS: "ramp,steady,spike" });
    expect(scenarioProblems(broken.exported.options, broken.exported)).toEqual([
      "no soak scenario",
      "steady: starts at 5s, before the previous scenario ends (140s)",
      "spike: executor constant-arrival-rate, expected ramping-arrival-rate",
      "spike: starts at 10s, before the previous scenario ends (315s)",
    ]);
  });

  it("take the URL, the scenarios and the load from the environment, and refuse bad values", async () => {
    await expect(loadK6(source, {})).rejects.toThrow(/^BASE_URL must be the http\(s\) URL of the deployment/);
    await expect(loadK6(source, { BASE_URL: "guichet.example.org" })).rejects.toThrow(/^BASE_URL must be/);
    const chosen = await loadK6(source, { ...BASE, SCENARIOS: "steady, spike", RATE: "2", SPIKE_RATE: "20", STEADY_DURATION: "1m", SPIKE_DURATION: "30s" });
    expect(Object.entries(chosen.exported.options.scenarios).map(([n, s]) => [n, s.startTime])).toEqual([["steady", "0s"], ["spike", "70s"]]);
    expect(chosen.exported.options.scenarios.spike).toMatchObject({ startRate: 2, stages: [{ target: 20 }, { duration: "30s", target: 20 }, { target: 2 }], maxVUs: 60 });
    await expect(loadK6(source, { ...BASE, SCENARIOS: "steady,burst" })).rejects.toThrow('SCENARIOS: no scenario "burst"; the scenarios are ramp, steady, spike, soak');
    await expect(loadK6(source, { ...BASE, SCENARIOS: " , " })).rejects.toThrow("SCENARIOS names none of ramp, steady, spike, soak");
    await expect(loadK6(source, { ...BASE, RATE: "lots" })).rejects.toThrow("RATE must be a number from 0");
    await expect(loadK6(source, { ...BASE, STREAM_SHARE: "2" })).rejects.toThrow("STREAM_SHARE must be a number from 0 to 1");
    await expect(loadK6(source, { ...BASE, SOAK_DURATION: "2 hours" })).rejects.toThrow('SOAK_DURATION must be a duration such as 30s, 5m or 1h30m, not "2 hours"');
    await expect(loadK6(source, { ...BASE, QUESTIONS: "./k6.js" })).rejects.toThrow();
  });
});

describe("the k6 requests", () => {
  const firstDevQuestion = (JSON.parse(readFileSync("evals/datasets/dev.jsonl", "utf8").split("\n")[0]!) as { question: string }).question;

  it("ask the dev questions on /invoke, STREAM_SHARE of them on /stream, with the key as a bearer token", async () => {
    const k6 = await loadK6(source, { ...BASE, API_KEY: "k6-test-key" }, (request) =>
      request.url.endsWith("/stream") ? { status: 200, body: 'event: final\ndata: {"answer":"a"}\n\n' } : { status: 200, body: '{"answer":"Le passeport coûte 86 €."}' },
    );
    k6.setVu(1);
    for (let i = 0; i < 10; i++) k6.exported.openLoop();
    expect(k6.sent.map((r) => r.url.replace(BASE.BASE_URL, "/"))).toEqual(["/invoke", "/invoke", "/invoke", "/invoke", "/stream", "/invoke", "/invoke", "/invoke", "/invoke", "/stream"]);
    expect(JSON.parse(k6.sent[0]!.body)).toEqual({ question: firstDevQuestion });
    expect(new Set(k6.sent.map((r) => r.body)).size).toBe(10);
    expect(k6.sent[0]!.params).toEqual({
      headers: { accept: "application/json", "content-type": "application/json", authorization: "Bearer k6-test-key" },
      tags: { route: "invoke" },
      timeout: "30s",
    });
    expect(k6.sent[4]!.params).toMatchObject({ headers: { accept: "text/event-stream" }, tags: { route: "stream" } });
    expect(k6.checks).toEqual({
      "invoke: status 200": { passes: 8, fails: 0 },
      "invoke: an answer": { passes: 8, fails: 0 },
      "stream: status 200": { passes: 2, fails: 0 },
      "stream: a final event": { passes: 2, fails: 0 },
    });
    expect(k6.exported.default).toBe(k6.exported.openLoop);
  });

  it("count a refusal of the key or a broken answer as a failed check, think between closed-loop requests, send no key unset", async () => {
    const k6 = await loadK6(source, { ...BASE, STREAM_SHARE: "0", THINK_TIME: "2", QUESTIONS: "./smoke-questions.json" }, () => ({ status: 401, body: '{"title":"Unauthorized"}' }));
    k6.setVu(2);
    k6.exported.closedLoop();
    k6.exported.closedLoop();
    expect(k6.sleeps).toEqual([2, 2]);
    expect(k6.sent.every((r) => r.url.endsWith("/invoke") && !("authorization" in r.params.headers))).toBe(true);
    const smokeQuestions = (JSON.parse(readFileSync("load/smoke-questions.json", "utf8")) as Array<{ question: string }>).map((q) => q.question);
    expect(smokeQuestions).toContain((JSON.parse(k6.sent[0]!.body) as { question: string }).question);
    expect(k6.checks).toEqual({ "invoke: status 200": { passes: 0, fails: 2 }, "invoke: an answer": { passes: 0, fails: 2 } });
  });
});
