import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_SMOKE_QUESTIONS, loadSmokeQuestions, type SmokeQuestion } from "../tools/deploy/smoke-questions.js";
import { ALERT_LIMITS, formatReport, judge } from "../tools/deploy/smoke-report.js";
import { runSmoke } from "../tools/deploy/smoke-run.js";
import { runMain, writeLine, type CliIo } from "./io.js";

/** The variable holding the API key: never an argument, which would land in shell history and CI logs. */
export const SMOKE_API_KEY_VARIABLE = "GUICHET_SMOKE_API_KEY";

const number = (test: (n: number) => boolean, what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !test(n)) throw new InvalidArgumentError(`must be ${what}`);
  return n;
};
const positive = number((n) => n > 0, "a number above 0");
const positiveInteger = number((n) => Number.isInteger(n) && n > 0, "a whole number above 0");
const share = number((n) => n >= 0 && n <= 1, "a share between 0 and 1");
const seconds = number((n) => n >= 0, "a number of seconds, 0 or more");

function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("must be an http or https URL");
  }
  if (!["http:", "https:"].includes(url.protocol)) throw new InvalidArgumentError("must be an http or https URL");
  if (url.username || url.password) throw new InvalidArgumentError(`must not hold credentials: set ${SMOKE_API_KEY_VARIABLE}`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * `npm run smoke -- <base-url>`: asks a deployment the scripted questions, checks /health, /ready and each answer,
 * and exits 1 naming what failed, or when p95 or the share of server errors is over its limit.
 */
export async function smokeMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("smoke")
    .description(`Smoke-test a running Guichet (API key, when needed, from ${SMOKE_API_KEY_VARIABLE})`)
    .argument("<base-url>", "where the service answers, e.g. https://guichet-staging.example.org", baseUrl)
    .option("--questions <file>", "the scripted questions and their expectations", DEFAULT_SMOKE_QUESTIONS)
    .option("--p95 <ms>", "highest p95 latency of the question requests", positive, ALERT_LIMITS.p95Ms)
    .option("--error-budget <share>", "highest share of question requests with a 5xx or no response", share, ALERT_LIMITS.errorBudget)
    .option("--timeout <ms>", "time limit of each request", positiveInteger, 10_000)
    .option("--repeat <n>", "rounds over the questions", positiveInteger, 1)
    .option("--wait <seconds>", "wait up to this long for /ready to answer 200 first", seconds, 0)
    .option("--json", "print the result as one JSON line", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const opts = program.opts<{ questions: string; p95: number; errorBudget: number; timeout: number; repeat: number; wait: number; json: boolean }>();
  const url = program.processedArgs[0] as string;
  let questions: SmokeQuestion[];
  try {
    questions = loadSmokeQuestions(opts.questions);
  } catch (error) {
    await writeLine(io.stderr, `error: ${(error as Error).message}`);
    return 2;
  }
  const apiKey = io.env[SMOKE_API_KEY_VARIABLE] || undefined;
  const limits = { p95Ms: opts.p95, errorBudget: opts.errorBudget };
  await writeLine(io.stderr, `smoke: ${questions.length} questions from ${opts.questions}, ${apiKey ? `API key from ${SMOKE_API_KEY_VARIABLE}` : "no API key"}`);
  const run = await runSmoke({ baseUrl: url, questions, ...(apiKey ? { apiKey } : {}), timeoutMs: opts.timeout, repeat: opts.repeat, waitSeconds: opts.wait });
  const verdict = judge(run, limits);
  if (opts.json) {
    const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : null);
    const checks = run.checks.map((c) => ({ ...c, ms: c.ms === null ? null : round(c.ms) }));
    const report = { ok: verdict.ok, base_url: url, checks, p50_ms: round(verdict.p50), p95_ms: round(verdict.p95), question_requests: run.questionRequests, server_errors: run.serverErrors, limits, failures: verdict.failures };
    await writeLine(io.stdout, JSON.stringify(report));
  } else {
    for (const line of formatReport(url, run, verdict, limits)) await writeLine(io.stdout, line);
  }
  return verdict.ok ? 0 : 1;
}

if (process.argv[1]?.endsWith("cli/smoke.ts")) await runMain(smokeMain);
