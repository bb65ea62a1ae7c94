import { createHash } from "node:crypto";
import { chartJsSource, pageScript, pageStyle } from "./assets.js";
import { breakdownSection } from "./breakdown-section.js";
import { chartGrid } from "./chart-figure.js";
import { allCharts, buildCharts } from "./chart-specs.js";
import { escapeHtml, jsonIsland } from "./html.js";
import { metricTable } from "./metric-table.js";
import { trendSection } from "./trend-section.js";
import type { EvalRunReport, HistoryEntry } from "./types.js";
import { worstSection } from "./worst-section.js";

const SECTIONS = [
  ["headline", "Headline figures"],
  ["by-split", "By split"],
  ["breakdowns", "By style, language and class"],
  ["trend", "Trend"],
  ["worst", "Worst questions"],
] as const;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/**
 * Nothing may be fetched, and only the page's own two scripts and style sheet may run: even a string that escaped
 * the escaping could neither execute nor call out.
 */
const contentSecurityPolicy = (scripts: string[], style: string) =>
  `default-src 'none'; script-src ${scripts.map(sha256).join(" ")}; style-src ${sha256(style)}; img-src data:; base-uri 'none'; form-action 'none'`;

function readableDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function header(report: EvalRunReport): string {
  const answerer = report.variant ? `${report.answerer}, variant ${report.variant}` : report.answerer;
  const splits = report.splits.map((s) => `${escapeHtml(s.split)} (<code>${escapeHtml(s.dataset)}</code>)`).join(", ");
  const rows: [string, string][] = [
    ["Run", escapeHtml(readableDate(report.date))],
    ["Commit", report.commit ? `<code>${escapeHtml(report.commit)}</code>` : "unknown"],
    ["Claim checker", escapeHtml(report.checker)],
    ["Answerer", escapeHtml(answerer)],
    ["Knowledge base", `fiches service-public.fr, snapshot ${escapeHtml(report.snapshot_date)}`],
    ["Splits", splits || "none"],
  ];
  return (
    `<header><h1>Guichet eval report</h1>` +
    `<p class="lede">How well the assistant retrieves the right fiches and answers from them: retrieval and answer metrics, ` +
    `claim-level checks of the answers against reference answers and passages (after RAGChecker), the trend over past runs, and the worst questions.</p>` +
    `<dl class="run">${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join("")}</dl>` +
    `<nav><ul>${SECTIONS.map(([id, title]) => `<li><a href="#${id}">${title}</a></li>`).join("")}</ul></nav></header>`
  );
}

const section = (id: (typeof SECTIONS)[number][0], body: string) => {
  const title = SECTIONS.find(([sectionId]) => sectionId === id)![1];
  return `<section id="${id}"><h2>${title}</h2>${body}</section>`;
};

/** An inlined script ends at the first `</script`; the libraries are checked rather than trusted not to hold one. */
function inlineScript(source: string): string {
  if (/<\/script|<!--/i.test(source)) throw new Error("a script to inline holds </script or <!--, which would break the page");
  return `<script>${source}</script>`;
}

/** The whole report as one page that needs no network: Chart.js, the style sheet and the data are all inlined. */
export function renderReportHtml(report: EvalRunReport, history: HistoryEntry[]): string {
  const charts = buildCharts(report, history);
  const scripts = [chartJsSource(), pageScript()];
  const style = pageStyle();
  const headline =
    metricTable(
      report.splits.map((split) => ({ title: split.split, figures: split.all, split })),
      { meaning: true, caption: "Each split's figures over all its questions" },
    ) + `<p class="note">↑ higher is better · ↓ lower is better · ↔ neither in itself. Claim metrics are means over the questions with a reference answer; “—” where a metric is undefined.</p>`;
  const body = [
    header(report),
    `<noscript><p class="alert">The charts need JavaScript; every figure is also in the tables.</p></noscript>`,
    `<p id="chart-error" class="alert" hidden></p>`,
    `<main>`,
    section("headline", headline),
    section("by-split", chartGrid(charts.perSplit)),
    section("breakdowns", breakdownSection(report.splits, charts.breakdowns)),
    section("trend", trendSection(history, charts.trend)),
    section("worst", `<p class="note">Worst first, by claim F1 then faithfulness. Passages are numbered P1…; “expanded” ones were added by fiche expansion, not retrieved.</p>${worstSection(report.splits)}`),
    `</main>`,
    jsonIsland("report-data", report),
    jsonIsland("history-data", history),
    jsonIsland("chart-data", allCharts(charts)),
    ...scripts.map(inlineScript),
  ];
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(scripts, style)}">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(`Guichet eval report — ${readableDate(report.date)}`)}</title>`,
    `<style>${style}</style></head>`,
    `<body>${body.join("\n")}</body></html>`,
    "",
  ].join("\n");
}
