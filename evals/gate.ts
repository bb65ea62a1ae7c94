import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { LOWER_IS_BETTER } from "./claims/score.js";
import type { ClaimMetricName } from "./claims/types.js";
import type { SplitRun } from "./eval-split.js";
import { factsFound, type QuestionOutcome } from "./metrics.js";
import { perQuestion } from "./per-question.js";
import { bootstrapInterval } from "./stats.js";

export const BASELINE_FILE = "evals/baseline.json";

/** A gated metric: the statistic over a split's questions, and which way is better. */
interface GateStatistic<T> {
  items: T[];
  statistic: (sample: T[]) => number | null;
  lowerIsBetter: boolean;
}

const mean = (sample: number[]) => (sample.length ? sample.reduce((a, b) => a + b, 0) / sample.length : null);


/**
 * The statistics the gate holds a split to: the mean of each question's value (perQuestion, as the A/B
 * comparison reads them), except facts, counted over all the split's facts (a question with five facts weighs five).
 */
export function gateStatistics(run: Pick<SplitRun, "items" | "outcomes" | "claims">): Record<string, GateStatistic<number> | GateStatistic<QuestionOutcome>> {
  const stats: Record<string, GateStatistic<number> | GateStatistic<QuestionOutcome>> = {};
  for (const [metric, values] of Object.entries(perQuestion(run))) {
    if (metric === "facts") continue;
    const claim = metric.startsWith("claims.") ? metric.slice("claims.".length) : undefined;
    stats[metric] = { items: [...values.values()], statistic: mean, lowerIsBetter: claim !== undefined && LOWER_IS_BETTER.has(claim as ClaimMetricName) };
  }
  const withFacts = run.outcomes.filter((o) => o.gold.length > 0 && o.facts && o.facts.length > 0);
  stats.facts = {
    items: withFacts,
    statistic: (s: QuestionOutcome[]) => {
      const total = s.reduce((sum, o) => sum + o.facts!.length, 0);
      return total ? s.reduce((sum, o) => sum + factsFound(o.answer, o.facts!), 0) / total : null;
    },
    lowerIsBetter: false,
  };
  return stats;
}

const GateMetricSchema = z.object({
  value: z.number(),
  /** How far the metric may move the wrong way: the baseline's 95 % bootstrap half-interval on that side. */
  tolerance: z.number().min(0),
  n: z.number().int().min(0),
  lower_is_better: z.boolean(),
});
const BaselineSchema = z.object({
  version: z.literal(1),
  date: z.string(),
  commit: z.string().nullable(),
  checker: z.string(),
  splits: z.record(z.string(), z.record(z.string(), GateMetricSchema)),
});
export type Baseline = z.infer<typeof BaselineSchema>;

const round = (x: number) => Math.round(x * 1e4) / 1e4;
/** Below this, a difference is float noise, not a change. */
const MIN_TOLERANCE = 0.0005;

/** The baseline of a set of split runs: each gated metric's value and its tolerance. */
export function baselineOf(runs: Array<Pick<SplitRun, "split" | "items" | "outcomes" | "claims">>, meta: { date: string; commit: string | null; checker: string }): Baseline {
  const splits: Baseline["splits"] = {};
  for (const run of runs) {
    splits[run.split] = {};
    for (const [name, stat] of Object.entries(gateStatistics(run))) {
      const interval = bootstrapInterval(stat.items as unknown[], stat.statistic as (s: unknown[]) => number | null);
      if (!interval) continue;
      const halfWidth = stat.lowerIsBetter ? interval.high - interval.mean : interval.mean - interval.low;
      splits[run.split]![name] = { value: round(interval.mean), tolerance: round(Math.max(halfWidth, MIN_TOLERANCE)), n: stat.items.length, lower_is_better: stat.lowerIsBetter };
    }
  }
  return { version: 1, ...meta, splits };
}

export interface GateLine {
  split: string;
  metric: string;
  baseline: number;
  current: number | null;
  tolerance: number;
  ok: boolean;
}

/** Each baseline metric against the current runs: it fails when it moved the wrong way by more than its tolerance, or is gone. */
export function compareToBaseline(runs: Array<Pick<SplitRun, "split" | "items" | "outcomes" | "claims">>, baseline: Baseline): GateLine[] {
  const lines: GateLine[] = [];
  for (const [split, metrics] of Object.entries(baseline.splits)) {
    const run = runs.find((r) => r.split === split);
    const stats = run ? gateStatistics(run) : {};
    for (const [metric, base] of Object.entries(metrics)) {
      const stat = stats[metric];
      const value = stat ? (stat.statistic as (s: unknown[]) => number | null)(stat.items) : null;
      const current = value === null ? null : round(value);
      const worse = current === null ? Infinity : base.lower_is_better ? current - base.value : base.value - current;
      lines.push({ split, metric, baseline: base.value, current, tolerance: base.tolerance, ok: worse <= base.tolerance + 1e-9 });
    }
  }
  return lines;
}

/** The gate's verdict in words: one line per failed metric, naming it, or a one-line pass. */
export function gateMessage(lines: GateLine[]): string {
  const failed = lines.filter((l) => !l.ok);
  if (failed.length === 0) return `eval gate passed: ${lines.length} metrics within their tolerance of the baseline`;
  return [
    `eval gate FAILED: ${failed.length} of ${lines.length} metrics moved the wrong way beyond their tolerance`,
    ...failed.map((l) =>
      l.current === null
        ? `  ${l.split} ${l.metric}: no value (baseline ${l.baseline})`
        : `  ${l.split} ${l.metric}: ${l.current} against baseline ${l.baseline} (tolerance ${l.tolerance}: the baseline's 95 % bootstrap half-interval)`,
    ),
    "If the change is intended, accept it with `npm run eval -- --update-baseline` and commit evals/baseline.json.",
  ].join("\n");
}

export function readBaseline(file: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: cannot read the baseline (${(error as Error).message}); make one with \`npm run eval -- --update-baseline\``, { cause: error });
  }
  const parsed = BaselineSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: not a baseline: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

export function writeBaseline(file: string, baseline: Baseline): void {
  writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
}
