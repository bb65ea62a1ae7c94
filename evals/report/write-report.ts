import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderReportHtml } from "./render-html.js";
import type { EvalRunReport, HistoryEntry } from "./types.js";

export { appendHistory, historyEntry, readHistory } from "./history.js";

/** Writes `report.html` and `report.json` (the same figures) into `dir`, created if missing; returns their paths. */
export function writeReport(dir: string, report: EvalRunReport, history: HistoryEntry[]): { html: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const html = resolve(dir, "report.html");
  const json = resolve(dir, "report.json");
  writeFileSync(html, renderReportHtml(report, history));
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  return { html, json };
}
