import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/** The repository's root and deploy/observability/, where the Prometheus, Grafana and collector assets live. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const assetsDir = join(repoRoot, "deploy", "observability");

export const rulesFile = join(assetsDir, "prometheus", "rules", "guichet.rules.yml");
export const dashboardFile = join(assetsDir, "grafana", "dashboards", "guichet.json");

/** Metric families the assets may read: the app's own, the GenAI conventions', prom-client's default metrics. */
const METRIC_PREFIXES = /^(guichet_|gen_ai_|process_|nodejs_)/;

export function parseYaml(text: string): unknown {
  return parse(text);
}

export function readYaml(file: string): unknown {
  return parseYaml(readFileSync(file, "utf8"));
}

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function readRules(file = rulesFile): Rule[] {
  const doc = readYaml(file) as { groups?: { rules?: Rule[] }[] };
  return (doc.groups ?? []).flatMap((group) => group.rules ?? []);
}

export interface DashboardPanel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; refId?: string; datasource?: { type?: string; uid?: string } }[];
  panels?: DashboardPanel[];
  fieldConfig?: { defaults?: { mappings?: unknown[] } };
}

export interface Dashboard {
  uid?: string;
  schemaVersion?: number;
  panels?: DashboardPanel[];
  templating?: { list?: { name: string; type: string; query?: unknown; datasource?: unknown }[] };
}

export function readDashboard(file = dashboardFile): Dashboard {
  return JSON.parse(readFileSync(file, "utf8")) as Dashboard;
}

/** Every panel of the dashboard, those nested in collapsed rows included. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  const walk = (panels: DashboardPanel[] = []): DashboardPanel[] => panels.flatMap((p) => [p, ...walk(p.panels)]);
  return walk(dashboard.panels);
}

/** The PromQL of the dashboard: every target's expr, then the templating variables' queries. */
export function dashboardExprs(dashboard: Dashboard): string[] {
  const targets = allPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));
  const variables = (dashboard.templating?.list ?? [])
    .filter((v) => v.type === "query")
    .map((v) => (typeof v.query === "string" ? v.query : ((v.query as { query?: string } | undefined)?.query ?? "")));
  return [...targets, ...variables].filter((expr) => expr.trim() !== "");
}

/**
 * The metric names an expression reads. String literals, Grafana variables, `{...}` label matchers,
 * `[...]` ranges and grouping clauses (`by (...)`, `on (...)`, ...) are removed first, so label names
 * and values never count; Grafana's `label_values(metric, label)` keeps only its metric. What remains
 * are identifiers, kept when they start with a known metric prefix, suffixes (_bucket, ...) as written.
 */
export function metricNamesInExpr(expr: string): string[] {
  const stripped = expr
    // One pass, so that a quote in a comment or a # in a string is read as what it is.
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`|#[^\n]*/g, (m) => (m.startsWith("#") ? " " : '""'))
    .replace(/\$\{[^}]*\}|\$\w+/g, " ")
    .replace(/\{[^{}]*\}/g, " ")
    .replace(/\[[^\][]*\]/g, " ")
    .replace(/\blabel_values\s*\(([^(),]*),[^()]*\)/g, " $1 ")
    .replace(/\blabel_values\s*\([^()]*\)/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/gi, " ");
  const names = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((name) => METRIC_PREFIXES.test(name)))];
}

/**
 * Every metric name the dashboard and the rules file read, with the file (relative to the repository)
 * that reads it, one entry per file and name. Names recorded by the rules file itself and `up` are left
 * out, so what remains must all be served by the app's /metrics.
 */
export function metricNamesInAssets(): { file: string; name: string }[] {
  const rules = readRules();
  const recorded = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));
  const sources: [string, string[]][] = [
    [dashboardFile, dashboardExprs(readDashboard())],
    [rulesFile, rules.map((rule) => rule.expr)],
  ];
  const found: { file: string; name: string }[] = [];
  for (const [file, exprs] of sources) {
    const names = new Set(exprs.flatMap(metricNamesInExpr));
    for (const name of [...names].sort()) {
      if (!recorded.has(name) && name !== "up") found.push({ file: relative(repoRoot, file), name });
    }
  }
  return found;
}
