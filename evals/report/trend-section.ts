import { chartGrid } from "./chart-figure.js";
import { runLabel, type ReportCharts } from "./chart-specs.js";
import { escapeHtml, formatShare } from "./html.js";
import { ARROWS, METRICS } from "./metric-catalog.js";
import type { HistoryEntry } from "./types.js";

function runsTable(split: string, history: HistoryEntry[]): string {
  const head = `<tr><th scope="col">run</th><th scope="col">checker</th>${METRICS.map((m) => `<th scope="col" class="num">${escapeHtml(`${m.label} ${ARROWS[m.direction]}`)}</th>`).join("")}</tr>`;
  const rows = history.map((entry) => {
    const figures = entry.splits[split];
    const values = METRICS.map((m) => `<td class="num">${formatShare(figures?.[m.key])}</td>`).join("");
    const checker = `${entry.checker}${entry.variant ? ` · ${entry.variant}` : ""}`;
    return `<tr><th scope="row">${escapeHtml(runLabel(entry))}</th><td>${escapeHtml(checker)}</td>${values}</tr>`;
  });
  return `<div class="wide"><table class="runs"><caption>${escapeHtml(split)}: past runs, oldest first</caption><thead>${head}</thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/** The headline figures over the past runs, per split; a sentence instead of empty charts when there are none. */
export function trendSection(history: HistoryEntry[], trend: ReportCharts["trend"]): string {
  if (history.length === 0) return `<p class="empty">No past runs in the history yet: the trend charts appear once runs have been recorded.</p>`;
  const intro = `<p>${history.length} recorded run${history.length === 1 ? "" : "s"}, oldest first; figures from different checkers are not comparable.</p>`;
  const perSplit = trend.map(
    ({ split, charts }) =>
      `<h3>${escapeHtml(split)}</h3>${chartGrid(charts)}` +
      `<details class="figures"><summary>${escapeHtml(split)}: the runs as a table</summary>${runsTable(split, history)}</details>`,
  );
  return intro + perSplit.join("");
}
