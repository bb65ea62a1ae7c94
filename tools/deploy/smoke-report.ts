import type { SmokeRun } from "./smoke-run.js";

export interface SmokeLimits {
  /** Highest p95 of the question requests, in milliseconds. */
  p95Ms: number;
  /** Highest share (0–1) of question requests answered with a 5xx or not at all. */
  errorBudget: number;
}

/** The thresholds of the GuichetSlowAnswers and GuichetHighErrorRate alerts (deploy/observability/prometheus/rules). */
export const ALERT_LIMITS: SmokeLimits = { p95Ms: 2500, errorBudget: 0.05 };

/** Value at percentile p (0–100), by nearest rank; NaN without samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export interface SmokeVerdict {
  ok: boolean;
  /** One line per reason, each naming what failed. */
  failures: string[];
  p50: number;
  p95: number;
  errorShare: number;
}

const ms = (value: number) => (Number.isFinite(value) ? `${value >= 10 ? Math.round(value) : Number(value.toFixed(2))} ms` : "n/a");
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

export function judge(run: SmokeRun, limits: SmokeLimits): SmokeVerdict {
  const failures = run.checks.filter((c) => c.problems.length > 0).map((c) => `${c.name}: ${c.problems.join("; ")}`);
  const p95 = percentile(run.questionLatencies, 95);
  if (p95 > limits.p95Ms) failures.push(`p95 latency ${ms(p95)} is over the ${ms(limits.p95Ms)} threshold`);
  const errorShare = run.questionRequests === 0 ? 0 : run.serverErrors / run.questionRequests;
  if (errorShare > limits.errorBudget) {
    failures.push(`${run.serverErrors} of ${run.questionRequests} question requests got a 5xx or no response (${percent(errorShare)}, budget ${percent(limits.errorBudget)})`);
  }
  return { ok: failures.length === 0, failures, p50: percentile(run.questionLatencies, 50), p95, errorShare };
}

/** The summary printed by `npm run smoke`: one line per check, the latency and error figures, the verdict. */
export function formatReport(baseUrl: string, run: SmokeRun, verdict: SmokeVerdict, limits: SmokeLimits): string[] {
  const width = Math.max(...run.checks.map((c) => c.name.length));
  const lines = [`smoke test of ${baseUrl}`];
  for (const c of run.checks) {
    const status = c.problems.length === 0 ? "ok  " : "FAIL";
    const detail = c.problems.length === 0 ? c.note : c.problems.join("; ");
    lines.push(`  ${status}  ${c.name.padEnd(width)}  ${c.route.padEnd(7)}  ${ms(c.ms ?? Number.NaN).padStart(7)}  ${detail}`.trimEnd());
  }
  lines.push(
    `latency of ${run.questionLatencies.length} question requests: p50 ${ms(verdict.p50)}, p95 ${ms(verdict.p95)} (threshold ${ms(limits.p95Ms)})`,
    `5xx or no response: ${run.serverErrors} of ${run.questionRequests} question requests (${percent(verdict.errorShare)}, budget ${percent(limits.errorBudget)})`,
    verdict.ok ? "smoke passed" : `smoke FAILED: ${verdict.failures.join(" | ")}`,
  );
  return lines;
}
