import { DEFAULT_VARIANT } from "../tools/telemetry/metrics.js";
import type { RunOutcome } from "../tools/feedback/types.js";
import { alignedTable } from "./metrics.js";
import { bootstrapDifference, median, percentile, twoProportionP, type Interval } from "./stats.js";

export interface VariantFigures {
  variant: string;
  runs: number;
  p50_ms: number;
  p95_ms: number;
  rated: number;
  up: number;
  /** Share of the rated runs rated up (null when none is rated). */
  up_share: number | null;
  /** Against the reference variant (absent for the reference itself). */
  against?: { latency_p50_ms: Interval; up_share_difference: number | null; up_share_p: number | null };
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Each variant's runs, latency and ratings from the run log, and each against the reference variant: the
 * difference of median latency (95 % bootstrap interval) and of the share rated up (two-proportion z-test).
 */
export function onlineReport(outcomes: RunOutcome[], reference?: string): VariantFigures[] {
  const groups = new Map<string, RunOutcome[]>();
  for (const o of outcomes) {
    const name = o.variant ?? DEFAULT_VARIANT;
    groups.set(name, [...(groups.get(name) ?? []), o]);
  }
  const names = [...groups.keys()].sort();
  const ref = reference ?? (groups.has("control") ? "control" : names[0]);
  const figures = (name: string): VariantFigures => {
    const runs = groups.get(name)!;
    const latencies = runs.map((r) => r.latencyMs);
    const rated = runs.filter((r) => r.rating !== null);
    const up = rated.filter((r) => r.rating === "up").length;
    return { variant: name, runs: runs.length, p50_ms: round(median(latencies), 1), p95_ms: round(percentile(latencies, 0.95), 1), rated: rated.length, up, up_share: rated.length ? round(up / rated.length) : null };
  };
  const base = ref !== undefined && groups.has(ref) ? figures(ref) : undefined;
  return names.map((name) => {
    const f = figures(name);
    if (!base || name === base.variant) return f;
    const latency = bootstrapDifference(groups.get(base.variant)!.map((r) => r.latencyMs), groups.get(name)!.map((r) => r.latencyMs), median);
    const comparable = f.rated > 0 && base.rated > 0;
    return {
      ...f,
      against: {
        latency_p50_ms: { mean: round(latency.mean, 1), low: round(latency.low, 1), high: round(latency.high, 1) },
        up_share_difference: comparable ? round(f.up_share! - base.up_share!) : null,
        up_share_p: comparable ? round(twoProportionP(base.up, base.rated, f.up, f.rated)) : null,
      },
    };
  });
}

export function formatOnlineReport(rows: VariantFigures[]): string {
  if (rows.length === 0) return "no runs in the run log (GUICHET_FEEDBACK on, within the retention)";
  const reference = rows.find((r) => !r.against)?.variant ?? "-";
  const cell = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? "-" : x.toFixed(digits));
  return [
    ...alignedTable(
      ["variant", "runs", "p50 ms", "p95 ms", "rated", "up share", `Δp50 vs ${reference}`, "95 % CI", "Δup share", "p"],
      rows.map((r) => [
        r.variant,
        String(r.runs),
        cell(r.p50_ms, 1),
        cell(r.p95_ms, 1),
        String(r.rated),
        cell(r.up_share),
        cell(r.against?.latency_p50_ms.mean, 1),
        r.against ? `[${r.against.latency_p50_ms.low.toFixed(1)}, ${r.against.latency_p50_ms.high.toFixed(1)}]` : "-",
        cell(r.against?.up_share_difference),
        cell(r.against?.up_share_p),
      ]),
      1,
    ),
    "latency: whole runs as the run log measured them; up share: ratings up among rated runs (POST /feedback); p: two-proportion z-test",
  ].join("\n");
}
