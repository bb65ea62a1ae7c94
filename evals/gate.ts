import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { LOWER_IS_BETTER } from "./claims/score.js";
import { CLAIM_METRICS, type ClaimMetricName, type ClaimOutcome } from "./claims/types.js";
import type { SplitRun } from "./eval-split.js";
import { factsFound, firstGoldRank, type QuestionOutcome } from "./metrics.js";
import { bootstrapInterval } from "./stats.js";

export const BASELINE_FILE = "evals/baseline.json";

/** A gated metric: the statistic over a split's questions, and which way is better. */
interface GateStatistic<T> {
  items: T[];
  statistic: (sample: T[]) => number | null;
  lowerIsBetter: boolean;
}

const share = <T>(keep: (item: T) => boolean) => (sample: T[]) => (sample.length ? sample.filter(keep).length / sample.length : null);
const meanOf = (metric: ClaimMetricName) => (sample: ClaimOutcome[]) => {
  const values = sample.map((o) => o.scores[metric]).filter((v): v is number => v !== null);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
};

/** Self-knowledge (right but not from the passages) is neither good nor bad for a grounded assistant: not gated. */
export const GATED_CLAIM_METRICS = CLAIM_METRICS.filter((m) => m !== "self_knowledge");

/** The statistics the gate holds a split to, each computed the way the report computes it. */
export function gateStatistics(run: Pick<SplitRun, "outcomes" | "claims">): Record<string, GateStatistic<QuestionOutcome> | GateStatistic<ClaimOutcome>> {
  const inScope = run.outcomes.filter((o) => o.gold.length > 0);
  const rank = (o: QuestionOutcome) => firstGoldRank(o.gold, o.ranking);
  const higher = <T>(items: T[], statistic: (s: T[]) => number | null) => ({ items, statistic, lowerIsBetter: false });
  const withFacts = inScope.filter((o) => o.facts && o.facts.length > 0);
  const stats: Record<string, GateStatistic<QuestionOutcome> | GateStatistic<ClaimOutcome>> = {
    "recall@10": higher(inScope, share((o) => rank(o) > 0 && rank(o) <= 10)),
    "mrr@10": higher(inScope, (s) => (s.length ? s.reduce((sum, o) => sum + (rank(o) > 0 && rank(o) <= 10 ? 1 / rank(o) : 0), 0) / s.length : null)),
    facts: higher(withFacts, (s) => {
      const total = s.reduce((sum, o) => sum + o.facts!.length, 0);
      return total ? s.reduce((sum, o) => sum + factsFound(o.answer, o.facts!), 0) / total : null;
    }),
    answered: higher(inScope, share((o) => o.answered)),
    first_citation: higher(inScope, share((o) => o.firstCitation !== undefined && o.gold.includes(o.firstCitation))),
    out_of_scope_declined: higher(run.outcomes.filter((o) => o.gold.length === 0), share((o) => !o.answered)),
  };
  for (const metric of GATED_CLAIM_METRICS) {
    stats[`claims.${metric}`] = { items: run.claims, statistic: meanOf(metric), lowerIsBetter: LOWER_IS_BETTER.has(metric) };
  }
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
export function baselineOf(runs: Array<Pick<SplitRun, "split" | "outcomes" | "claims">>, meta: { date: string; commit: string | null; checker: string }): Baseline {
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
export function compareToBaseline(runs: Array<Pick<SplitRun, "split" | "outcomes" | "claims">>, baseline: Baseline): GateLine[] {
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
