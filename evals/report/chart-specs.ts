import { ARROWS, FAMILIES, metricValue, metricsOf, type FamilyId, type MetricFamily, type MetricInfo } from "./metric-catalog.js";
import type { EvalRunReport, GroupFigures, HistoryEntry, SplitReport } from "./types.js";

/** What the page's script hands to Chart.js for one canvas: every number is computed here, the browser only draws. */
export interface ChartSpec {
  /** The canvas is `chart-<id>`. */
  id: string;
  type: "bar" | "line";
  title: string;
  /** A label given as several strings is drawn on several lines. */
  labels: (string | string[])[];
  datasets: { label: string; color: string; data: (number | null)[] }[];
  /** One tooltip footer per label (the trend's checker and variant), when there is something to say. */
  notes?: string[];
}

export const DIMENSIONS = ["style", "lang", "class"] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const DIMENSION_TITLES: Record<Dimension, string> = { style: "style", lang: "language", class: "question class" };

export interface BreakdownCharts {
  split: string;
  dims: { dim: Dimension; charts: ChartSpec[] }[];
}

export interface ReportCharts {
  perSplit: ChartSpec[];
  breakdowns: BreakdownCharts[];
  /** Empty when there is no history. */
  trend: { split: string; charts: ChartSpec[] }[];
}

// Okabe–Ito colours: told apart by most colour-blind readers, and in grey print by their order of lightness.
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"];

const legendLabel = (metric: MetricInfo) => `${metric.label} ${ARROWS[metric.direction]}`;
const colourOf = (metric: MetricInfo) => PALETTE[metricsOf(metric.family).indexOf(metric) % PALETTE.length]!;
const groupSize = (family: FamilyId, figures: GroupFigures) => (family === "retrieval" ? figures.retrieval.n : (figures.claims?.n ?? 0));

function barChart(id: string, family: MetricFamily, title: string, groups: [string, GroupFigures][], split?: SplitReport): ChartSpec {
  const metrics = metricsOf(family.id).filter((m) => m.source !== "out_of_scope" || split !== undefined);
  return {
    id,
    type: "bar",
    title,
    labels: groups.map(([name, figures]) => `${name} (n=${groupSize(family.id, figures)})`),
    datasets: metrics.map((metric) => ({ label: legendLabel(metric), color: colourOf(metric), data: groups.map(([, figures]) => metricValue(metric, figures, split)) })),
  };
}

/** One chart per metric family, the splits side by side. */
function perSplitCharts(report: EvalRunReport): ChartSpec[] {
  return FAMILIES.map((family) => {
    const metrics = metricsOf(family.id);
    return {
      id: `split-${family.id}`,
      type: "bar",
      title: `${family.title}, by split`,
      labels: report.splits.map((s) => `${s.split} (n=${groupSize(family.id, s.all)})`),
      datasets: metrics.map((metric) => ({ label: legendLabel(metric), color: colourOf(metric), data: report.splits.map((s) => metricValue(metric, s.all, s)) })),
    };
  });
}

function breakdownCharts(split: SplitReport, index: number): BreakdownCharts {
  const dims = DIMENSIONS.map((dim) => {
    const groups = Object.entries(split.by[dim]);
    const charts = groups.length === 0 ? [] : FAMILIES.map((family) => barChart(`by-${index}-${dim}-${family.id}`, family, `${family.title}, by ${DIMENSION_TITLES[dim]}`, groups));
    return { dim, charts };
  });
  return { split: split.split, dims };
}

export const runLabel = (entry: Pick<HistoryEntry, "date" | "commit">) => `${entry.date.slice(0, 10)} · ${entry.commit ? entry.commit.slice(0, 7) : "no commit"}`;

/** The splits of the history, the current report's first (in its order), then any others the past runs had. */
export function historySplits(report: EvalRunReport, history: HistoryEntry[]): string[] {
  const seen = new Set(history.flatMap((entry) => Object.keys(entry.splits)));
  const current = report.splits.map((s) => s.split).filter((name) => seen.has(name));
  return [...current, ...[...seen].filter((name) => !current.includes(name)).sort()];
}

function trendCharts(report: EvalRunReport, history: HistoryEntry[]) {
  const labels = history.map((entry) => runLabel(entry).split(" · "));
  const notes = history.map((entry) => `checker ${entry.checker}${entry.variant ? ` · variant ${entry.variant}` : ""}`);
  return historySplits(report, history).map((split, index) => ({
    split,
    charts: FAMILIES.map(
      (family): ChartSpec => ({
        id: `trend-${index}-${family.id}`,
        type: "line",
        title: `${family.title}, over past runs`,
        labels,
        notes,
        datasets: metricsOf(family.id).map((metric) => ({
          label: legendLabel(metric),
          color: colourOf(metric),
          data: history.map((entry) => entry.splits[split]?.[metric.key] ?? null),
        })),
      }),
    ),
  }));
}

export function buildCharts(report: EvalRunReport, history: HistoryEntry[]): ReportCharts {
  return {
    perSplit: perSplitCharts(report),
    breakdowns: report.splits.map(breakdownCharts),
    trend: history.length === 0 ? [] : trendCharts(report, history),
  };
}

export const allCharts = (charts: ReportCharts): ChartSpec[] => [
  ...charts.perSplit,
  ...charts.breakdowns.flatMap((b) => b.dims.flatMap((d) => d.charts)),
  ...charts.trend.flatMap((t) => t.charts),
];
