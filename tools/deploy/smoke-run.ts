import { setTimeout as sleep } from "node:timers/promises";
import { answerNote, answerProblems, healthProblems, readyProblems } from "./smoke-checks.js";
import { exchange, finalEvent, parseJson, questionHeaders, type Exchange } from "./smoke-client.js";
import type { SmokeQuestion } from "./smoke-questions.js";

export interface SmokeSettings {
  /** Without a trailing slash; may carry a path prefix. */
  baseUrl: string;
  questions: SmokeQuestion[];
  apiKey?: string;
  timeoutMs: number;
  /** Rounds over the questions (a later round is mostly answered from the cache). */
  repeat: number;
  /** How long to wait for `/ready` to answer 200 before the checks start (0: not at all). */
  waitSeconds: number;
}

export interface CheckResult {
  name: string;
  route: string;
  ms: number | null;
  problems: string[];
  note: string;
}

export interface SmokeRun {
  checks: CheckResult[];
  /** Durations of the question requests that got a response. */
  questionLatencies: number[];
  questionRequests: number;
  /** Question requests answered with a 5xx or not at all: what the error-rate alert counts. */
  serverErrors: number;
}

function probe(name: string, route: string, res: Exchange, problemsOf: (status: number, body: unknown) => string[]): CheckResult {
  if (res.status === null) return { name, route, ms: null, problems: [res.error!], note: "" };
  return { name, route, ms: res.ms, problems: problemsOf(res.status, parseJson(res.text).value), note: "" };
}

async function waitForReady(settings: SmokeSettings): Promise<string | undefined> {
  const deadline = Date.now() + settings.waitSeconds * 1000;
  for (;;) {
    const res = await exchange(`${settings.baseUrl}/ready`, {}, settings.timeoutMs);
    if (res.status === 200) return undefined;
    const last = res.status === null ? res.error! : `answered ${res.status}`;
    if (Date.now() + 1000 > deadline) return `not ready after ${settings.waitSeconds} s (last: ${last})`;
    await sleep(1000);
  }
}

interface Asked {
  check: CheckResult;
  /** The request got a response: its duration counts in the latency figures. */
  answered: boolean;
  /** A 5xx, no response, or a stream that ended on a 5xx error event. */
  serverError: boolean;
}

async function ask(settings: SmokeSettings, q: SmokeQuestion, name: string): Promise<Asked> {
  const route = `/${q.route}`;
  const res = await exchange(
    `${settings.baseUrl}${route}`,
    { method: "POST", headers: questionHeaders(settings.apiKey), body: JSON.stringify({ question: q.question }) },
    settings.timeoutMs,
  );
  const result = (problems: string[], note = "", serverError = false): Asked => ({
    check: { name, route, ms: res.status === null ? null : res.ms, problems, note },
    answered: res.status !== null,
    serverError: serverError || res.status === null || res.status >= 500,
  });
  if (res.status === null) return result([res.error!]);
  if (res.status !== 200) {
    const detail = (parseJson(res.text).value as { detail?: unknown } | undefined)?.detail;
    return result([`answered ${res.status}, expected 200${detail ? ` (${String(detail)})` : ""}`]);
  }
  const body: { value?: unknown; error?: string; errorStatus?: number } = q.route === "stream" ? finalEvent(res.text) : parseJson(res.text);
  if (body.error) return result([body.error], "", (body.errorStatus ?? 0) >= 500);
  return result(answerProblems(q.expect, body.value), answerNote(body.value));
}

/** Checks /health and /ready, then asks each question in turn (one request at a time: a smoke test, not a load). */
export async function runSmoke(settings: SmokeSettings): Promise<SmokeRun> {
  const checks: CheckResult[] = [];
  if (settings.waitSeconds > 0) {
    const notReady = await waitForReady(settings);
    if (notReady) checks.push({ name: "wait", route: "/ready", ms: null, problems: [notReady], note: "" });
  }
  checks.push(probe("health", "/health", await exchange(`${settings.baseUrl}/health`, {}, settings.timeoutMs), healthProblems));
  checks.push(probe("ready", "/ready", await exchange(`${settings.baseUrl}/ready`, {}, settings.timeoutMs), readyProblems));
  const run: SmokeRun = { checks, questionLatencies: [], questionRequests: 0, serverErrors: 0 };
  for (let round = 1; round <= settings.repeat; round++) {
    for (const q of settings.questions) {
      const asked = await ask(settings, q, settings.repeat > 1 ? `${q.id}#${round}` : q.id);
      checks.push(asked.check);
      run.questionRequests++;
      if (asked.answered) run.questionLatencies.push(asked.check.ms!);
      if (asked.serverError) run.serverErrors++;
    }
  }
  return run;
}
