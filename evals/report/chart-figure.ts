import type { ChartSpec } from "./chart-specs.js";
import { escapeHtml } from "./html.js";

/** The canvas of one chart, titled in HTML so that the title is there without JS and in print. */
export const chartFigure = (spec: ChartSpec): string =>
  `<figure class="chart"><figcaption>${escapeHtml(spec.title)}</figcaption>` +
  `<div class="chart-area"><canvas id="chart-${escapeHtml(spec.id)}" role="img" aria-label="${escapeHtml(spec.title)}"></canvas></div></figure>`;

export const chartGrid = (specs: ChartSpec[]): string => `<div class="chart-grid">${specs.map(chartFigure).join("")}</div>`;
