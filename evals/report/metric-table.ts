import { ARROWS, FAMILIES, METRICS, metricValue, type Direction } from "./metric-catalog.js";
import { escapeHtml, formatShare } from "./html.js";
import type { GroupFigures, SplitReport } from "./types.js";

/** A column of a metric table: a split's figures (out-of-scope figures included) or a group's. */
export interface MetricColumn {
  title: string;
  figures: GroupFigures;
  split?: SplitReport;
}

const DIRECTION_TEXT: Record<Direction, string> = { higher: "higher is better", lower: "lower is better", neutral: "neither better nor worse in itself" };

const cells = (values: (string | number)[]) => values.map((v) => `<td class="num">${typeof v === "number" ? v : escapeHtml(v)}</td>`).join("");

/**
 * Metrics as rows, one column per split or group, grouped by family; with `meaning`, a last column says what each
 * metric is (the page's glossary).
 */
export function metricTable(columns: MetricColumn[], options: { meaning: boolean; caption: string }): string {
  const span = columns.length + (options.meaning ? 3 : 2);
  const meaningCell = (text: string) => (options.meaning ? `<td class="meaning">${escapeHtml(text)}</td>` : "");
  const countRow = (label: string, meaning: string, count: (c: MetricColumn) => number | null) =>
    `<tr><th scope="row">${escapeHtml(label)}</th><td class="dir"></td>${cells(columns.map((c) => count(c) ?? "—"))}${meaningCell(meaning)}</tr>`;
  const counts = [
    countRow("n in scope", "in-scope questions (retrieval and answer metrics)", (c) => c.figures.retrieval.n),
    countRow("n with a reference", "questions with a reference answer (claim metrics)", (c) => c.figures.claims?.n ?? 0),
    ...(columns.some((c) => c.split) ? [countRow("n out of scope", "questions the assistant should decline", (c) => c.split?.out_of_scope.n ?? null)] : []),
  ];
  const families = FAMILIES.map((family) => {
    const rows = METRICS.filter((m) => m.family === family.id && (m.source !== "out_of_scope" || columns.some((c) => c.split))).map(
      (metric) =>
        `<tr><th scope="row">${escapeHtml(metric.label)}</th>` +
        `<td class="dir" title="${DIRECTION_TEXT[metric.direction]}">${ARROWS[metric.direction]}</td>` +
        cells(columns.map((c) => formatShare(metricValue(metric, c.figures, c.split)))) +
        meaningCell(metric.meaning) +
        "</tr>",
    );
    return `<tbody><tr class="family"><th colspan="${span}" scope="rowgroup">${escapeHtml(family.title)}</th></tr>${rows.join("")}</tbody>`;
  });
  const head =
    `<thead><tr><th scope="col">metric</th><th scope="col" class="dir"><span class="visually-hidden">direction</span></th>` +
    columns.map((c) => `<th scope="col" class="num">${escapeHtml(c.title)}</th>`).join("") +
    (options.meaning ? `<th scope="col">meaning</th>` : "") +
    "</tr></thead>";
  return `<table class="metrics"><caption>${escapeHtml(options.caption)}</caption>${head}<tbody>${counts.join("")}</tbody>${families.join("")}</table>`;
}
