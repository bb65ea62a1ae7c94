import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  allPanels,
  assetsDir,
  dashboardExprs,
  metricNamesInAssets,
  metricNamesInExpr,
  readDashboard,
  readRules,
  readYaml,
  repoRoot,
  rulesFile,
  type DashboardPanel,
} from "./helpers/observability-assets.js";

const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const promDir = join(assetsDir, "prometheus");
const configFile = join(promDir, "prometheus.yml");
const rulesTestFile = join(promDir, "tests", "guichet.rules.test.yml");
const TOKEN_FILE = "/etc/prometheus/secrets/guichet-metrics-token";

/** The metrics /metrics serves (the contract with the server); histograms may be read as _bucket, _sum or _count. */
const HISTOGRAMS = [
  "guichet_http_request_duration_seconds",
  "guichet_node_duration_seconds",
  "gen_ai_client_token_usage",
  "gen_ai_client_operation_duration_seconds",
];
const SERIES = [
  "guichet_runs_total", "guichet_degradations_total",
  "guichet_llm_cost_total", "guichet_llm_tokens_total",
  "guichet_budget_spent", "guichet_budget_limit", "guichet_budget_alert_ratio", "guichet_budget_exceeded_total",
  "guichet_cache_lookups_total", "guichet_guard_decisions_total", "guichet_rate_limit_rejections_total",
  "guichet_llm_breaker_state", "guichet_llm_breaker_transitions_total", "guichet_llm_queue_depth", "guichet_llm_shed_total",
  "guichet_corpus_info", "guichet_corpus_snapshot_timestamp_seconds", "guichet_index_chunks", "guichet_index_fiches",
];
const DEFAULT_METRICS = [
  "process_cpu_seconds_total", "process_resident_memory_bytes",
  "nodejs_eventloop_lag_seconds", "nodejs_eventloop_lag_p99_seconds", "nodejs_heap_size_used_bytes",
];
const CONTRACT = new Set([
  ...HISTOGRAMS.flatMap((h) => ["_bucket", "_sum", "_count"].map((suffix) => h + suffix)),
  ...SERIES,
  ...DEFAULT_METRICS,
]);

/** Runs promtool and returns its output; a failure shows what promtool printed. */
function promtool(args: string[], cwd = promDir): string {
  try {
    return execFileSync(PROMTOOL, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { status, stdout, stderr } = error as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} exited with ${status}:\n${stdout ?? ""}\n${stderr ?? ""}`, { cause: error });
  }
}

/** Grafana's variables replaced by values Prometheus accepts, so that promtool can parse the dashboard's PromQL. */
function asPromql(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, "5m")
    .replace(/\$\{key(?::\w+)?\}|\$key/g, ".*");
}

const dashboard = readDashboard();
const panels = allPanels(dashboard);
const dataPanels = panels.filter((p) => p.type !== "row");
const rules = readRules();
const alerts = rules.filter((rule) => rule.alert);

describe("promtool", () => {
  let tmp: string;

  beforeAll(() => {
    try {
      execFileSync(PROMTOOL, ["--version"], { stdio: "ignore" });
    } catch {
      throw new Error(
        `${PROMTOOL} is not installed: install Debian's prometheus package (apt-get install prometheus), as .ci/run does, ` +
          "or set PROMTOOL to its path. The observability assets are not checked without it.",
      );
    }
    tmp = mkdtempSync(join(tmpdir(), "guichet-observability-"));
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("accepts the rules file", () => {
    const out = promtool(["check", "rules", rulesFile]);
    expect(out).toContain("SUCCESS");
    expect(out).toContain(`${rules.length} rules found`);
  });

  it("passes the rules' unit tests", () => {
    expect(promtool(["test", "rules", rulesTestFile])).toContain("SUCCESS");
  });

  it("accepts prometheus.yml (syntax, then in full with a temporary token file)", () => {
    expect(promtool(["check", "config", "--syntax-only", configFile])).toContain("SUCCESS");
    // The full check stats the bearer-token file: point a copy at a temporary one, beside the real rules.
    const config = readFileSync(configFile, "utf8");
    expect(config.split(TOKEN_FILE)).toHaveLength(2);
    writeFileSync(join(tmp, "token"), "test-token");
    writeFileSync(join(tmp, "prometheus.yml"), config.replace(TOKEN_FILE, join(tmp, "token")));
    symlinkSync(join(promDir, "rules"), join(tmp, "rules"));
    const out = promtool(["check", "config", join(tmp, "prometheus.yml")]);
    expect(out).toContain("SUCCESS: 1 rule files found");
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("parses every PromQL expression of the dashboard", () => {
    const exprs = dashboardExprs(dashboard).filter((expr) => !expr.startsWith("label_values("));
    const groups = [{
      name: "dashboard",
      rules: exprs.map((expr, i) => ({ record: `dashboard:expr_${i}`, expr: asPromql(expr) })),
    }];
    // JSON is YAML: promtool reads it as a rules file.
    const file = join(tmp, "dashboard.rules.yml");
    writeFileSync(file, JSON.stringify({ groups }));
    expect(promtool(["check", "rules", file])).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});

describe("Prometheus assets", () => {
  interface RulesTest {
    rule_files: string[];
    tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
  }
  interface PromConfig {
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      metrics_path?: string;
      authorization?: { type?: string; credentials_file?: string };
      static_configs: { targets: string[] }[];
    }[];
  }

  it("points prometheus.yml at the rules file and scrapes job guichet with the token file", () => {
    const config = readYaml(configFile) as PromConfig;
    expect(config.rule_files.map((file) => resolve(promDir, file))).toEqual([rulesFile]);
    const job = config.scrape_configs.find((c) => c.job_name === "guichet");
    expect(job?.static_configs.flatMap((c) => c.targets)).toEqual(["guichet:3000"]);
    expect(job?.metrics_path ?? "/metrics").toBe("/metrics");
    expect(job?.authorization).toEqual({ type: "Bearer", credentials_file: TOKEN_FILE });
  });

  it("gives every alert a severity, a summary, a description and a runbook anchor", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      "GuichetBudgetAlertRatioReached", "GuichetBudgetExhausted", "GuichetCorpusStale", "GuichetCostBurnOverBudget",
      "GuichetHighErrorRate", "GuichetLLMBreakerOpen", "GuichetLLMRequestsShed", "GuichetSlowAnswers",
      "GuichetTargetDown",
    ]);
    for (const alert of alerts) {
      expect(["critical", "warning", "info"]).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary).toBeTruthy();
      expect(alert.annotations?.description).toBeTruthy();
      expect(alert.annotations?.runbook).toBe(`docs/observability.md#${alert.alert!.toLowerCase()}`);
    }
  });

  it("tests every alert firing and not firing", () => {
    const doc = readYaml(rulesTestFile) as RulesTest;
    expect(doc.rule_files.map((file) => resolve(dirname(rulesTestFile), file))).toEqual([rulesFile]);
    const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert.alert);
      expect({ alert: alert.alert, fires: mine.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({ alert: alert.alert, fires: true });
      expect({ alert: alert.alert, quiet: mine.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({ alert: alert.alert, quiet: true });
    }
  });

  it("reads counters through rate or increase and histograms through histogram_quantile of summed bucket rates", () => {
    const exprs = [...rules.map((r) => r.expr), ...dashboardExprs(dashboard)].filter((e) => !e.startsWith("label_values("));
    for (const expr of exprs) {
      for (const name of metricNamesInExpr(expr).filter((n) => /_(total|bucket|count|sum)$/.test(n))) {
        const uses = expr.match(new RegExp(`[\\w(]*\\s*${name}\\b`, "g")) ?? [];
        for (const use of uses) expect({ expr, use }).toEqual({ expr, use: expect.stringMatching(/(rate|increase)\(\s*\w+$/) });
      }
      for (const quantile of expr.match(/histogram_quantile\([^,]+,\s*sum by \([^)]*\)/g) ?? []) {
        expect(quantile).toMatch(/by \((.*\b)?le\b/);
      }
      if (expr.includes("histogram_quantile")) expect(expr).toMatch(/rate\(\w+_bucket\[/);
    }
  });
});

describe("Grafana dashboard", () => {
  const variables = dashboard.templating?.list ?? [];

  it("is identified and versioned", () => {
    expect(dashboard.uid).toBe("guichet");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
  });

  it("chooses its Prometheus through ${datasource} and filters FinOps by a key variable", () => {
    expect(variables.find((v) => v.name === "datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
    const key = variables.find((v) => v.name === "key");
    expect(key).toMatchObject({ type: "query", datasource: { type: "prometheus", uid: "${datasource}" } });
    expect(JSON.stringify(key?.query)).toContain("label_values(guichet_llm_cost_total, key)");
    for (const panel of dataPanels) {
      expect({ title: panel.title, datasource: panel.datasource }).toEqual({
        title: panel.title,
        datasource: { type: "prometheus", uid: "${datasource}" },
      });
      for (const target of panel.targets ?? []) expect(target.datasource?.uid ?? "${datasource}").toBe("${datasource}");
    }
  });

  it("has unique panel ids, titles, and targets with expr and a unique refId", () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dataPanels) {
      expect(panel.title?.trim()).toBeTruthy();
      const targets = panel.targets ?? [];
      expect({ title: panel.title, targets: targets.length > 0 }).toEqual({ title: panel.title, targets: true });
      for (const target of targets) {
        expect(target.expr?.trim()).toBeTruthy();
        expect(target.refId).toMatch(/^[A-Z]$/);
      }
      expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
    }
  });

  it("lays panels out on the 24-column grid without overlaps", () => {
    const boxes = panels.map((p) => ({ title: p.title, ...p.gridPos! }));
    for (const box of boxes) {
      expect(box.w).toBeGreaterThan(0);
      expect(box.h).toBeGreaterThan(0);
      expect(box.x + box.w).toBeLessThanOrEqual(24);
    }
    const overlaps = boxes.flatMap((a, i) =>
      boxes.slice(i + 1).filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        .map((b) => `${a.title} / ${b.title}`));
    expect(overlaps).toEqual([]);
  });

  it("covers the requested views", () => {
    const byTitle = (pattern: RegExp): DashboardPanel => {
      const panel = dataPanels.find((p) => pattern.test(p.title ?? ""));
      if (!panel) throw new Error(`no panel titled ${pattern}`);
      return panel;
    };
    const exprs = (panel: DashboardPanel) => (panel.targets ?? []).map((t) => t.expr ?? "").join("\n");
    expect(exprs(byTitle(/latency per route/i))).toMatch(/histogram_quantile\(0\.5,[\s\S]*histogram_quantile\(0\.95,/);
    expect(exprs(byTitle(/latency per node/i))).toContain("guichet_node_duration_seconds_bucket");
    expect(exprs(byTitle(/5xx ratio/i))).toContain('status=~"5.."');
    expect(exprs(byTitle(/requests per second by status/i))).toContain("sum by (status)");
    expect(exprs(byTitle(/cost per day by key/i))).toMatch(/increase\(guichet_llm_cost_total\{key=~"\$key"\}\[1d\]\)/);
    expect(exprs(byTitle(/tokens per day by key/i))).toContain("increase(guichet_llm_tokens_total");
    expect(exprs(byTitle(/cost by key over/i))).toContain("[$__range]");
    expect(exprs(byTitle(/cost per model/i))).toContain("sum by (model)");
    expect(exprs(byTitle(/budget spent vs limit \(cost/i))).toMatch(/guichet_budget_spent[\s\S]*guichet_budget_limit/);
    expect(exprs(byTitle(/cache hit ratio/i))).toContain('outcome=~"hit|miss"');
    expect(exprs(byTitle(/guard blocks by reason/i))).toContain('decision="blocked"');
    expect(exprs(byTitle(/queue depth/i))).toContain("guichet_llm_queue_depth");
    expect(exprs(byTitle(/shed/i))).toContain("guichet_llm_shed_total");
    expect(exprs(byTitle(/corpus age/i))).toContain("time() - max(guichet_corpus_snapshot_timestamp_seconds)");
    expect(exprs(byTitle(/corpus snapshot/i))).toContain("guichet_corpus_info");
    expect(exprs(byTitle(/genai operation duration/i))).toContain("gen_ai_request_model");
    expect(exprs(byTitle(/^cpu$/i))).toContain("process_cpu_seconds_total");
    expect(exprs(byTitle(/memory/i))).toContain("process_resident_memory_bytes");
    expect(exprs(byTitle(/event-loop lag/i))).toContain("nodejs_eventloop_lag_seconds");
    const breaker = byTitle(/breaker$/i);
    expect(breaker.type).toBe("state-timeline");
    expect(JSON.stringify(breaker.fieldConfig?.defaults?.mappings)).toMatch(/"0":\{"text":"closed".*"1":\{"text":"half-open".*"2":\{"text":"open"/);
  });
});

describe("Grafana provisioning", () => {
  const provisioning = join(assetsDir, "grafana", "provisioning");

  it("provisions the Prometheus data source", () => {
    const doc = readYaml(join(provisioning, "datasources", "prometheus.yml")) as { datasources: Record<string, unknown>[] };
    expect(doc.datasources).toEqual([
      expect.objectContaining({ type: "prometheus", uid: "prometheus", url: "http://prometheus:9090" }),
    ]);
  });

  it("loads the dashboards directory that holds guichet.json", () => {
    const doc = readYaml(join(provisioning, "dashboards", "guichet.yml")) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(doc.providers).toEqual([expect.objectContaining({ type: "file", options: expect.objectContaining({ path: "/var/lib/grafana/dashboards" }) })]);
    // The container path is where grafana/dashboards/ is mounted: it must exist here and hold the dashboard.
    const local = join(assetsDir, "grafana", "dashboards");
    expect(readdirSync(local).filter((f) => f.endsWith(".json"))).toEqual(["guichet.json"]);
  });
});

describe("OpenTelemetry Collector config", () => {
  interface Pipeline { receivers: string[]; processors: string[]; exporters: string[] }
  interface Collector {
    extensions: Record<string, unknown>;
    receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
    processors: Record<string, { actions?: { key: string; action: string }[] } | null>;
    exporters: Record<string, { endpoint?: string; tls?: { insecure?: boolean }; verbosity?: string } | null>;
    service: { extensions: string[]; pipelines: Record<string, Pipeline> };
  }
  const collector = readYaml(join(assetsDir, "otel-collector", "config.yaml")) as Collector;

  it("receives OTLP over gRPC on 4317 and HTTP on 4318", () => {
    expect(collector.receivers.otlp.protocols.grpc.endpoint).toMatch(/:4317$/);
    expect(collector.receivers.otlp.protocols.http.endpoint).toMatch(/:4318$/);
  });

  it("exports traces to Jaeger over OTLP, and to debug, through memory_limiter and batch", () => {
    const traces = collector.service.pipelines.traces!;
    expect(traces.receivers).toEqual(["otlp"]);
    expect(traces.exporters).toEqual(expect.arrayContaining(["otlp/jaeger", "debug"]));
    expect(traces.processors[0]).toBe("memory_limiter");
    expect(traces.processors.at(-1)).toBe("batch");
    expect(collector.exporters["otlp/jaeger"]).toEqual({ endpoint: "jaeger:4317", tls: { insecure: true } });
    expect(collector.exporters.debug).toEqual({ verbosity: "basic" });
  });

  it("defines every component a pipeline names, and the health check", () => {
    for (const pipeline of Object.values(collector.service.pipelines)) {
      for (const name of pipeline.receivers) expect(Object.keys(collector.receivers)).toContain(name);
      for (const name of pipeline.processors) expect(Object.keys(collector.processors)).toContain(name);
      for (const name of pipeline.exporters) expect(Object.keys(collector.exporters)).toContain(name);
    }
    expect(Object.keys(collector.extensions)).toContain("health_check");
    expect(collector.service.extensions).toContain("health_check");
  });

  it("deletes a guichet.question attribute before export", () => {
    const traces = collector.service.pipelines.traces!;
    const deleting = traces.processors.filter((name) =>
      (collector.processors[name]?.actions ?? []).some((a) => a.key === "guichet.question" && a.action === "delete"));
    expect(deleting).toHaveLength(1);
  });
});

describe("metricNamesInAssets", () => {
  const found = metricNamesInAssets();
  const names = new Set(found.map((f) => f.name));

  it("reads names, not labels, strings, variables or functions", () => {
    expect(metricNamesInExpr(
      'histogram_quantile(0.95, sum by (le, gen_ai_request_model) (rate(gen_ai_client_operation_duration_seconds_bucket{error_type!="", ' +
        'gen_ai_operation_name=~"chat|{x}"}[$__rate_interval]))) / on(gen_ai_provider_name) group_left(nodejs_x) ' +
        "max(guichet_budget_limit) # guichet_in_a_comment's\n + label_values(guichet_llm_cost_total, key)",
    ).sort()).toEqual(["gen_ai_client_operation_duration_seconds_bucket", "guichet_budget_limit", "guichet_llm_cost_total"]);
    expect(metricNamesInExpr("sum(rate(guichet_runs_total[5m])) by (guichet_label)")).toEqual(["guichet_runs_total"]);
  });

  it("finds the key names in both files, relative to the repository", () => {
    expect(found).toEqual(expect.arrayContaining([
      { file: "deploy/observability/grafana/dashboards/guichet.json", name: "guichet_llm_cost_total" },
      { file: "deploy/observability/grafana/dashboards/guichet.json", name: "gen_ai_client_token_usage_bucket" },
      { file: "deploy/observability/prometheus/rules/guichet.rules.yml", name: "guichet_llm_cost_total" },
      { file: "deploy/observability/prometheus/rules/guichet.rules.yml", name: "guichet_http_request_duration_seconds_bucket" },
      { file: "deploy/observability/prometheus/rules/guichet.rules.yml", name: "guichet_budget_alert_ratio" },
    ]));
    for (const { file } of found) expect(existsSync(join(repoRoot, file))).toBe(true);
    expect(new Set(found.map((f) => `${f.file} ${f.name}`)).size).toBe(found.length);
  });

  it("leaves out recorded names and up, and names only metrics of the contract", () => {
    const recorded = rules.flatMap((r) => (r.record ? [r.record] : []));
    expect(recorded.length).toBeGreaterThan(0);
    for (const name of [...recorded, "up", "le", "gen_ai_request_model"]) expect(names.has(name)).toBe(false);
    expect([...names].filter((name) => !CONTRACT.has(name))).toEqual([]);
  });

  it("uses every metric family of the contract somewhere", () => {
    const families = new Set([...names].map((n) => HISTOGRAMS.find((h) => n.startsWith(`${h}_`)) ?? n));
    expect([...HISTOGRAMS, ...SERIES, ...DEFAULT_METRICS].filter((m) => !families.has(m))).toEqual([]);
  });
});
