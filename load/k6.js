// Load test of a Guichet deployment for k6: `BASE_URL=https://… k6 run load/k6.js` (load/README.md). Written in
// the JavaScript every k6 release runs (no object spread, optional chaining or `??`).
/* global __ENV, __VU, open */
import http from "k6/http";
import { check, sleep } from "k6";
import { SharedArray } from "k6/data";

// The thresholds of the alert rules (deploy/observability/prometheus/rules/guichet.rules.yml): GuichetSlowAnswers
// fires when the p95 of /invoke or /stream is over 2.5 s, GuichetHighErrorRate when more than 5 % of their requests
// get a 5xx. test/deploy-k6.test.ts checks that these stay equal to the rules' values.
const P95_MS = 2500;
const ERROR_RATE = 0.05;
// At least this share of the checks (status 200, an answer) must pass: a 401 or 429 is no 5xx but a failed run.
const CHECKS_RATE = 0.95;

const SCENARIO_NAMES = ["ramp", "steady", "spike", "soak"];
const GRACE_SECONDS = 10;

function setting(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === "" ? fallback : value;
}

function numberSetting(name, fallback, max) {
  const value = Number(setting(name, String(fallback)));
  if (!(value >= 0) || (max !== undefined && value > max)) throw new Error(`${name} must be a number from 0${max !== undefined ? ` to ${max}` : ""}`);
  return value;
}

/** "90s", "2m", "1h30m" as seconds. */
function seconds(name, text) {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (text === "" || !match) throw new Error(`${name} must be a duration such as 30s, 5m or 1h30m, not "${text}"`);
  return Number(match[1] || 0) * 3600 + Number(match[2] || 0) * 60 + Number(match[3] || 0);
}

function durationSetting(name, fallback) {
  const text = setting(name, fallback);
  seconds(name, text);
  return text;
}

const BASE_URL = setting("BASE_URL", "").replace(/\/+$/, "");
if (!/^https?:\/\/[^/]/.test(BASE_URL)) throw new Error("BASE_URL must be the http(s) URL of the deployment, e.g. BASE_URL=https://guichet-staging.example.org");
const API_KEY = setting("API_KEY", "");

const VUS = numberSetting("VUS", 10);
const RATE = numberSetting("RATE", 5);
const SPIKE_RATE = numberSetting("SPIKE_RATE", 50);
const MAX_VUS = numberSetting("MAX_VUS", Math.max(20, Math.ceil(SPIKE_RATE * 3)));
const STREAM_SHARE = numberSetting("STREAM_SHARE", 0.2, 1);
const THINK_SECONDS = numberSetting("THINK_TIME", 1);
const RAMP_DURATION = durationSetting("RAMP_DURATION", "2m");
const STEADY_DURATION = durationSetting("STEADY_DURATION", "5m");
const SPIKE_DURATION = durationSetting("SPIKE_DURATION", "1m");
const SOAK_DURATION = durationSetting("SOAK_DURATION", "30m");
const QUESTIONS_FILE = setting("QUESTIONS", "../evals/datasets/dev.jsonl");

/** The questions of a JSON array or a JSON Lines file whose items have a `question`. */
function parseQuestions(text) {
  const trimmed = text.trim();
  const items = trimmed.charAt(0) === "["
    ? JSON.parse(trimmed)
    : trimmed.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
  const questions = items.map((item) => item && item.question).filter((q) => typeof q === "string" && q.trim() !== "");
  if (questions.length === 0) throw new Error(`${QUESTIONS_FILE}: no questions`);
  return questions;
}

// One copy for all the VUs instead of one each.
const questions = new SharedArray("questions", () => parseQuestions(open(QUESTIONS_FILE)));

const arrivalVUs = (rate) => ({ preAllocatedVUs: Math.max(1, Math.ceil(rate)), maxVUs: MAX_VUS });

const BUILDERS = {
  // Closed loop: VUs added one by one up to VUS, each asking, thinking, asking again.
  ramp: () => ({
    executor: "ramping-vus",
    exec: "closedLoop",
    startVUs: 0,
    stages: [{ duration: RAMP_DURATION, target: VUS }, { duration: "10s", target: 0 }],
    gracefulRampDown: `${GRACE_SECONDS}s`,
  }),
  // Open loop: RATE questions a second whatever the latency, as independent citizens would send them.
  steady: () => Object.assign({ executor: "constant-arrival-rate", exec: "openLoop", rate: RATE, timeUnit: "1s", duration: STEADY_DURATION }, arrivalVUs(RATE)),
  spike: () => Object.assign({
    executor: "ramping-arrival-rate",
    exec: "openLoop",
    startRate: RATE,
    timeUnit: "1s",
    stages: [{ duration: "10s", target: SPIKE_RATE }, { duration: SPIKE_DURATION, target: SPIKE_RATE }, { duration: "10s", target: RATE }],
  }, arrivalVUs(RATE)),
  soak: () => ({ executor: "constant-vus", exec: "closedLoop", vus: VUS, duration: SOAK_DURATION }),
};

function lengthOf(name, scenario) {
  const parts = scenario.stages ? scenario.stages.map((s) => s.duration) : [scenario.duration];
  return parts.reduce((sum, d) => sum + seconds(name, d), 0) + GRACE_SECONDS;
}

/** The scenarios named in SCENARIOS (all by default), one after the other. */
function scenarios() {
  const names = setting("SCENARIOS", SCENARIO_NAMES.join(",")).split(",").map((n) => n.trim()).filter((n) => n !== "");
  const chosen = {};
  let start = 0;
  for (const name of names) {
    if (SCENARIO_NAMES.indexOf(name) === -1) throw new Error(`SCENARIOS: no scenario "${name}"; the scenarios are ${SCENARIO_NAMES.join(", ")}`);
    const scenario = Object.assign(BUILDERS[name](), { startTime: `${start}s`, gracefulStop: `${GRACE_SECONDS}s` });
    start += lengthOf(name, scenario);
    chosen[name] = scenario;
  }
  if (names.length === 0) throw new Error(`SCENARIOS names none of ${SCENARIO_NAMES.join(", ")}`);
  return chosen;
}

export const options = {
  scenarios: scenarios(),
  thresholds: {
    "http_req_duration{route:invoke}": [`p(95)<${P95_MS}`],
    "http_req_duration{route:stream}": [`p(95)<${P95_MS}`],
    "http_req_failed{route:invoke}": [`rate<${ERROR_RATE}`],
    "http_req_failed{route:stream}": [`rate<${ERROR_RATE}`],
    checks: [`rate>${CHECKS_RATE}`],
  },
};

// What the error-rate alert counts: a 5xx or no response. A 4xx is the client's (bad key, rate limit): the checks
// catch it.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 499 }));

const headers = { "content-type": "application/json" };
if (API_KEY !== "") headers.authorization = `Bearer ${API_KEY}`;

let iteration = 0;

// A look at the body rather than a parse: the load generator shares the machine with what it measures.
const ANSWERED = /"answer":"[^"]/;

function ask() {
  const i = iteration++;
  // VUs start at different places in the list; STREAM_SHARE of each VU's requests go to /stream, evenly spread.
  const question = questions[(i + (__VU - 1) * 31) % questions.length];
  const route = Math.floor((i + 1) * STREAM_SHARE) > Math.floor(i * STREAM_SHARE) ? "stream" : "invoke";
  const res = http.post(`${BASE_URL}/${route}`, JSON.stringify({ question: question }), {
    headers: Object.assign({ accept: route === "stream" ? "text/event-stream" : "application/json" }, headers),
    tags: { route: route },
    timeout: "30s",
  });
  if (route === "stream") {
    check(res, {
      "stream: status 200": (r) => r.status === 200,
      "stream: a final event": (r) => typeof r.body === "string" && r.body.indexOf("event: final") !== -1,
    });
  } else {
    check(res, {
      "invoke: status 200": (r) => r.status === 200,
      "invoke: an answer": (r) => typeof r.body === "string" && ANSWERED.test(r.body),
    });
  }
}

export function openLoop() {
  ask();
}

export function closedLoop() {
  ask();
  sleep(THINK_SECONDS);
}

export default openLoop;
