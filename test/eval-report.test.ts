import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chartJsSource, pageScript, pageStyle } from "../evals/report/assets.js";
import { allCharts, buildCharts, historySplits } from "../evals/report/chart-specs.js";
import { chromiumPath } from "../evals/report/chromium.js";
import { escapeHtml, formatShare, scriptSafeJson } from "../evals/report/html.js";
import { METRICS, metricValue } from "../evals/report/metric-catalog.js";
import { renderReportHtml } from "../evals/report/render-html.js";
import { screenshotMain } from "../evals/report/screenshot.js";
import { appendHistory, historyEntry, readHistory, writeReport } from "../evals/report/write-report.js";
import { answerClaimReading } from "../evals/report/worst-section.js";
import { CLAIM_METRICS } from "../evals/claims/types.js";
import { HOSTILE_QUESTION, sampleHistory, sampleReport } from "./eval-report-fixture.js";
import { tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

let dir: string;
beforeAll(() => {
  dir = tempDir("guichet-report-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const report = sampleReport();
const history = sampleHistory();
const page = renderReportHtml(report, history);

/** The text of a `<script type="application/json">` island. */
function island(html: string, id: string): string {
  const match = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(html);
  if (!match) throw new Error(`no ${id} island`);
  return match[1]!;
}

describe("renderReportHtml: a self-contained page", () => {
  it("loads nothing from anywhere: no script src, link, image, CSS url or import", () => {
    expect(page).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(page).not.toMatch(/<link\b/i);
    expect(page).not.toMatch(/<img\b/i);
    expect(page).not.toMatch(/<(iframe|object|embed|video|audio|source)\b/i);
    expect(page.replace(chartJsSource(), "")).not.toMatch(/url\(|@import/i);
    expect(page).not.toMatch(/sourceMappingURL/);
  });

  it("holds web addresses only in data (a passage's text) and in Chart.js's licence comment", () => {
    const withoutLibrary = page.replace(chartJsSource(), "");
    const addresses = [...withoutLibrary.matchAll(/https?:\/\/[^\s"'<\\]+/g)].map((m) => m[0]);
    expect(new Set(addresses)).toEqual(new Set(["https://www.service-public.fr/particuliers/vosdroits/F14929"]));
  });

  it("inlines Chart.js, the page script and the style sheet, all allowed by hash in a policy that allows no fetch", () => {
    expect(page).toContain(`<script>${chartJsSource()}</script>`);
    expect(page).toContain(`<script>${pageScript()}</script>`);
    expect(page).toContain(`<style>${pageStyle()}</style>`);
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)![1]!;
    const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src ${hash(chartJsSource())} ${hash(pageScript())};`);
    expect(policy).toContain(`style-src ${hash(pageStyle())};`);
    expect(policy).not.toContain("unsafe");
  });

  it("inlines the report, the history and the charts as JSON that reads back unchanged", () => {
    expect(JSON.parse(island(page, "report-data"))).toEqual(report);
    expect(JSON.parse(island(page, "history-data"))).toEqual(history);
    const charts = JSON.parse(island(page, "chart-data")) as { id: string }[];
    expect(charts).toEqual(allCharts(buildCharts(report, history)));
    for (const chart of charts) expect(page).toContain(`<canvas id="chart-${chart.id}"`);
  });

  it("escapes every user-provided text, and a </script> in the data cannot close its element", () => {
    expect(page).not.toContain(HOSTILE_QUESTION);
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("Combien coûte un passeport ?&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(page).toContain("25 € &lt;b&gt;en timbre fiscal&lt;/b&gt;");
    expect(island(page, "report-data")).toContain("\\u003c/script\\u003e\\u003cimg src=x");
    const scriptTags = (page.match(/<script\b/g) ?? []).length;
    expect((page.match(/<\/script>/g) ?? []).length).toBe(scriptTags);
    expect(scriptTags).toBe(5);
  });

  it("has a header naming the run, the checker, the answerer and variant, and the fiches' snapshot", () => {
    expect(page).toContain("<h1>Guichet eval report</h1>");
    expect(page).toContain("2026-03-14 09:30 UTC");
    expect(page).toContain("<code>1818d34c0ffee5ab</code>");
    expect(page).toContain("<dt>Claim checker</dt><dd>offline</dd>");
    expect(page).toContain("<dd>extractive, variant rerank-linear</dd>");
    expect(page).toContain("fiches service-public.fr, snapshot 2020-11");
    expect(page).toContain("<code>evals/datasets/test.jsonl</code>");
  });

  it("tables every headline metric per split, with n, direction and meaning", () => {
    const headline = page.slice(page.indexOf('<section id="headline">'), page.indexOf('<section id="by-split">'));
    for (const metric of METRICS) expect(headline).toContain(`<th scope="row">${escapeHtml(metric.label)}</th>`);
    for (const metric of METRICS) expect(headline).toContain(escapeHtml(metric.meaning));
    expect(headline).toContain('<th scope="col" class="num">test</th><th scope="col" class="num">dev</th>');
    expect(headline).toMatch(/n in scope<\/th><td class="dir"><\/td><td class="num">324<\/td><td class="num">419<\/td>/);
    expect(headline).toMatch(/n out of scope<\/th><td class="dir"><\/td><td class="num">91<\/td>/);
    expect(headline).toMatch(/hallucination<\/th><td class="dir" title="lower is better">↓<\/td><td class="num">0\.090<\/td>/);
    expect(headline).toMatch(/recall@10<\/th><td class="dir" title="higher is better">↑<\/td><td class="num">0\.810<\/td><td class="num">0\.850<\/td>/);
  });

  it("draws each metric family by split, and by style, language and class for every split", () => {
    const charts = buildCharts(report, history);
    expect(charts.perSplit.map((c) => c.id)).toEqual(["split-answer", "split-retrieval_claims", "split-generator", "split-retrieval"]);
    expect(charts.perSplit[3]!.labels).toEqual(["test (n=324)", "dev (n=419)"]);
    expect(charts.perSplit[3]!.datasets.map((d) => d.label)).toContain("out-of-scope declined ↑");
    const byClass = charts.breakdowns[0]!.dims.find((d) => d.dim === "class")!.charts;
    expect(byClass).toHaveLength(4);
    expect(byClass[0]!.labels).toEqual(["amount (n=11)", "duration (n=27)", "eligibility (n=102)", "procedure (n=39)", "where (n=11)"]);
    // A group without reference answers has no claim figures: its bars are empty, not zero.
    const byStyle = charts.breakdowns[0]!.dims.find((d) => d.dim === "style")!.charts[0]!;
    expect(byStyle.datasets[2]).toEqual({ label: "F1 ↑", color: expect.any(String), data: [0.41, 0.47, null] });
    expect(charts.breakdowns[1]!.split).toBe("dev");
    expect(page).toContain('<select id="split-picker"><option value="0">test</option><option value="1">dev</option></select>');
  });

  it("draws the trend per split and family, gaps where a past run lacked a figure", () => {
    const { trend } = buildCharts(report, history);
    expect(trend.map((t) => t.split)).toEqual(["test", "dev"]);
    const f1 = trend[0]!.charts[0]!.datasets.find((d) => d.label === "F1 ↑")!;
    expect(f1.data).toEqual([null, 0.42, 0.44]);
    expect(trend[1]!.charts[3]!.datasets[0]!.data).toEqual([null, 0.81, 0.83]);
    expect(trend[0]!.charts[0]!.labels[0]).toEqual(["2026-02-20", "no commit"]);
    expect(trend[0]!.charts[0]!.notes).toEqual(["offline", "llm:gpt-4o-mini", "offline"].map((c) => `checker ${c} · variant rerank-linear`));
    expect(page).toContain("3 recorded runs, oldest first");
  });

  it("says there is no history instead of drawing empty trend charts", () => {
    const html = renderReportHtml(report, []);
    expect(html).toContain("No past runs in the history yet");
    expect(html).not.toContain('id="chart-trend-');
    expect(JSON.parse(island(html, "history-data"))).toEqual([]);
  });

  it("lists the worst questions with answer, reference, claim verdicts and passages, collapsed", () => {
    const worst = page.slice(page.indexOf('<section id="worst">'));
    expect(worst).toContain("test: worst questions (2)");
    expect(worst).toContain("dev: worst questions</h3><p class=\"empty\">No question with claims in this split.");
    expect(worst.indexOf("t-203")).toBeLessThan(worst.indexOf("t-017"));
    expect((worst.match(/<details class="question">/g) ?? []).length).toBe(2);
    expect(worst).toContain("Le passeport d&#39;un majeur coûte 86 €. Pour un mineur de 15 ans ou plus, il coûte 42 €.");
    expect(worst).toContain('<span class="badge">declined</span>');
    expect(worst).toContain("No answer claims (the question was declined).");
    expect(worst).toMatch(/Le timbre fiscal s&#39;achète chez un buraliste\.<\/td><td><span class="no">✗ no<\/span><\/td><td><span class="no">none<\/span><\/td><td>hallucination<\/td>/);
    expect(worst).toContain('<span class="pref" title="F14929 — Passeport d&#39;un mineur">P3 (expanded)</span>');
    expect(worst).toMatch(/<code>F14929<\/code> Passeport d&#39;un mineur <span class="badge">expanded<\/span>/);
    expect(worst).toContain("<span>F1</span> 0.500");
    expect(worst).toContain("<span>precision</span> —");
  });

  it("reads each answer claim as RAGChecker counts it", () => {
    const relevant = new Set([0]);
    expect(answerClaimReading({ text: "", inReference: true, inPassages: [1] }, relevant)).toBe("correct, from the passages");
    expect(answerClaimReading({ text: "", inReference: true, inPassages: [] }, relevant)).toBe("self-knowledge");
    expect(answerClaimReading({ text: "", inReference: false, inPassages: [] }, relevant)).toBe("hallucination");
    expect(answerClaimReading({ text: "", inReference: false, inPassages: [0] }, relevant)).toBe("noise from a relevant passage");
    expect(answerClaimReading({ text: "", inReference: false, inPassages: [0, 1] }, relevant)).toBe("noise from a relevant passage; noise from an irrelevant passage");
  });

  it("copes with an unknown commit, an unparsable date, a split without groups and a passage index out of range", () => {
    const odd = sampleReport();
    odd.commit = null;
    odd.date = "yesterday";
    delete odd.variant;
    odd.splits[1]!.by = { style: {}, lang: {}, class: {} };
    odd.splits[0]!.worst[1]!.answerClaims[0]!.inPassages = [7];
    const html = renderReportHtml(odd, []);
    expect(html).toContain("<dt>Commit</dt><dd>unknown</dd>");
    expect(html).toContain("<dt>Run</dt><dd>yesterday</dd>");
    expect(html).toContain("<dd>extractive</dd>");
    expect(html).toContain("No question of this split has a question class.");
    expect(html).toContain('title="unknown passage">P8</span>');
  });
});

describe("page helpers", () => {
  it("JSON for a script element escapes what could end it, and parses back to the same value", () => {
    const value = { s: "</script><!-- & \u2028\u2029 >" };
    const json = scriptSafeJson(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it("formats shares to three decimals, a dash for undefined", () => {
    expect([formatShare(0.5), formatShare(1), formatShare(null), formatShare(undefined)]).toEqual(["0.500", "1.000", "—", "—"]);
  });

  it("finds out-of-scope figures only with their split", () => {
    const declined = METRICS.find((m) => m.key === "out_of_scope_declined")!;
    expect(metricValue(declined, report.splits[0]!.all)).toBeNull();
    expect(metricValue(declined, report.splits[0]!.all, report.splits[0])).toBe(0.86);
  });

  it("orders the history's splits as the report does, then any others", () => {
    const entries = [{ date: "d", commit: null, checker: "offline", splits: { zeta: {}, dev: {}, alpha: {} } }];
    expect(historySplits(report, entries)).toEqual(["dev", "alpha", "zeta"]);
  });
});

describe("history helpers", () => {
  it("flattens every claim and retrieval figure of each split, with the out-of-scope ones", () => {
    const entry = historyEntry(report);
    expect(entry).toMatchObject({ date: report.date, commit: report.commit, checker: "offline", variant: "rerank-linear" });
    expect(Object.keys(entry.splits)).toEqual(["test", "dev"]);
    const test = entry.splits.test!;
    for (const metric of CLAIM_METRICS) expect(test[metric]).toBe(report.splits[0]!.all.claims![metric]);
    for (const [key, value] of Object.entries(report.splits[0]!.all.retrieval)) expect(test[key]).toBe(value);
    expect(test).toMatchObject({ claims_n: 259, out_of_scope_n: 91, out_of_scope_declined: 0.86 });
    for (const metric of METRICS) expect(test).toHaveProperty([metric.key]);
  });

  it("has null claim figures for a run without reference answers, and no variant key when none was named", () => {
    const bare = sampleReport();
    delete bare.variant;
    bare.splits[0]!.all.claims = null;
    const entry = historyEntry(bare);
    expect(entry).not.toHaveProperty("variant");
    expect(entry.splits.test).toMatchObject({ f1: null, claims_n: 0 });
  });

  it("reads a missing file as no history", () => {
    expect(readHistory(join(dir, "none.json"))).toEqual([]);
  });

  it("appends runs, creating the file and its folder, and keeps the last ones", () => {
    const file = join(dir, "nested", "history.json");
    appendHistory(file, { ...report, date: "2026-01-01T00:00:00.000Z" }, 2);
    appendHistory(file, { ...report, date: "2026-01-02T00:00:00.000Z" }, 2);
    const kept = appendHistory(file, { ...report, date: "2026-01-03T00:00:00.000Z" }, 2);
    expect(kept.map((e) => e.date)).toEqual(["2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"]);
    expect(readHistory(file)).toEqual(kept);
    expect(readHistory(file)[1]).toEqual(historyEntry({ ...report, date: "2026-01-03T00:00:00.000Z" }));
    expect(appendHistory(file, report)).toHaveLength(3);
    expect(() => appendHistory(file, report, 0)).toThrow("keep must be a positive integer, not 0");
  });

  it("names the file when it is not JSON, or not a history", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "[{ not json");
    expect(() => readHistory(bad)).toThrow(new RegExp(`^${bad}: the eval history is not valid JSON \\(`));
    writeFileSync(bad, JSON.stringify([{ date: "d", commit: 3, checker: "offline", splits: { test: { f1: "high" } } }]));
    expect(() => readHistory(bad)).toThrow(new RegExp(`^${bad}: not an eval history \\(a JSON array of runs\\): 0\\.commit: .*; 0\\.splits\\.test\\.f1: `));
    writeFileSync(bad, JSON.stringify({ runs: [] }));
    expect(() => readHistory(bad)).toThrow(/: \(top level\): /);
  });
});

describe("writeReport", () => {
  it("writes report.html and report.json (the same figures) into a folder it creates", () => {
    const out = join(dir, "runs", "latest");
    const paths = writeReport(out, report, history);
    expect(paths).toEqual({ html: join(out, "report.html"), json: join(out, "report.json") });
    expect(JSON.parse(readFileSync(paths.json, "utf8"))).toEqual(report);
    expect(readFileSync(paths.html, "utf8")).toBe(page);
  });
});

describe("assets", () => {
  it("finds Chart.js's UMD build and drops its source-map comment", () => {
    const source = chartJsSource();
    expect(source).toMatch(/^\/\*!\n \* Chart\.js v4\./);
    expect(source).toContain("window.Chart=");
    expect(source).not.toContain("sourceMappingURL");
  });
});

describe("eval:screenshot arguments", () => {
  it("refuses a width that is not a number of pixels, before starting any browser", async () => {
    const io = memoryIo();
    await expect(screenshotMain(["a.html", "b.png", "--width", "wide"], io)).rejects.toThrow();
    expect(io.err()).toContain("a whole number of pixels between 100 and 10000");
  });

  it("needs the page and the picture", async () => {
    const io = memoryIo();
    await expect(screenshotMain(["a.html"], io)).rejects.toThrow();
    expect(io.err()).toContain("missing required argument");
  });

  it("says where Chromium was looked for when it is not there", async () => {
    const io = memoryIo({ CHROMIUM_PATH: join(dir, "no-chromium") });
    expect(chromiumPath(io.env)).toBe(join(dir, "no-chromium"));
    await expect(screenshotMain([join(dir, "a.html"), join(dir, "b.png")], io)).rejects.toThrow(`no Chromium at ${join(dir, "no-chromium")}`);
    expect(existsSync(join(dir, "b.png"))).toBe(false);
  });
});
