import { chartGrid } from "./chart-figure.js";
import { DIMENSION_TITLES, type BreakdownCharts } from "./chart-specs.js";
import { escapeHtml } from "./html.js";
import { metricTable } from "./metric-table.js";
import type { SplitReport } from "./types.js";

/**
 * One panel per split: the charts by style, language and question class, each with its table. The page's script
 * shows one panel at a time behind a split picker; without JS every panel is shown, with its tables.
 */
export function breakdownSection(splits: SplitReport[], charts: BreakdownCharts[]): string {
  const picker =
    `<p class="split-picker" hidden><label>Split <select id="split-picker">` +
    splits.map((s, i) => `<option value="${i}">${escapeHtml(s.split)}</option>`).join("") +
    `</select></label></p>`;
  const panels = splits.map((split, index) => {
    const dims = charts[index]!.dims.map(({ dim, charts: specs }) => {
      const title = `By ${DIMENSION_TITLES[dim]}`;
      if (specs.length === 0) return `<h4>${title}</h4><p class="empty">No question of this split has a ${DIMENSION_TITLES[dim]}.</p>`;
      const columns = Object.entries(split.by[dim]).map(([name, figures]) => ({ title: name, figures }));
      return (
        `<h4>${title}</h4>${chartGrid(specs)}` +
        `<details class="figures"><summary>${escapeHtml(`${split.split} by ${DIMENSION_TITLES[dim]}`)}: the figures as a table</summary>` +
        metricTable(columns, { meaning: false, caption: `${split.split}, by ${DIMENSION_TITLES[dim]}` }) +
        `</details>`
      );
    });
    return `<section class="split-panel" data-split-index="${index}"><h3>${escapeHtml(split.split)}</h3>${dims.join("")}</section>`;
  });
  return picker + panels.join("");
}
