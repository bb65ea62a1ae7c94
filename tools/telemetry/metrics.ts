/**
 * Every Prometheus metric of Guichet, in one registry served by `GET /metrics` (server/metrics-route.ts).
 * Label values are bounded by construction: routes are templates, keys are configured names, models and nodes
 * come from configuration and code; no question text, no thread id, no credential ever becomes a label.
 * The catalogue, with what each metric is for, is in docs/observability.md.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const registry = new Registry();

/** Recording can be switched off (GUICHET_METRICS=false): every recorder below then returns at once. */
let enabled = true;
let defaultsCollected = false;

export function setMetricsEnabled(on: boolean): void {
  enabled = on;
  if (on && !defaultsCollected) {
    // CPU, memory, event-loop lag, GC and handles of the process, under their usual names.
    collectDefaultMetrics({ register: registry });
    defaultsCollected = true;
  }
}

export const metricsEnabled = () => enabled;

/** Buckets of `gen_ai.client.token.usage` in the OpenTelemetry GenAI conventions (powers of 4). */
export const GEN_AI_TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** Buckets of `gen_ai.client.operation.duration` in the OpenTelemetry GenAI conventions (seconds, doubling). */
export const GEN_AI_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

const httpDuration = new Histogram({
  name: "guichet_http_request_duration_seconds",
  help: "HTTP requests by route template, method and status, in seconds",
  labelNames: ["route", "method", "status"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

const nodeDuration = new Histogram({
  name: "guichet_node_duration_seconds",
  help: "Graph steps by node, in seconds",
  labelNames: ["node"] as const,
  buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** The variant label of runs outside any experiment. */
export const DEFAULT_VARIANT = "default";

const runs = new Counter({
  name: "guichet_runs_total",
  help: "Question runs by outcome (answered, not_found, blocked, error) and experiment variant",
  labelNames: ["outcome", "variant"] as const,
  registers: [registry],
});

const runDuration = new Histogram({
  name: "guichet_run_duration_seconds",
  help: "Time of a whole question run (graph and cache), by experiment variant",
  labelNames: ["variant"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  registers: [registry],
});

const degradations = new Counter({
  name: "guichet_degradations_total",
  help: "Answers given in a weaker mode, by reason (llm_unavailable, budget_exceeded, ...)",
  labelNames: ["reason"] as const,
  registers: [registry],
});

const tokenUsage = new Histogram({
  name: "gen_ai_client_token_usage",
  help: "Tokens per GenAI operation, by token type (OpenTelemetry GenAI conventions)",
  labelNames: ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_token_type"] as const,
  buckets: GEN_AI_TOKEN_BUCKETS,
  registers: [registry],
});

const operationDuration = new Histogram({
  name: "gen_ai_client_operation_duration_seconds",
  help: "Duration of GenAI operations, retries included, in seconds (OpenTelemetry GenAI conventions)",
  labelNames: ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "error_type"] as const,
  buckets: GEN_AI_DURATION_BUCKETS,
  registers: [registry],
});

const llmCost = new Counter({
  name: "guichet_llm_cost_total",
  help: "Cost of LLM calls in the price table's currency (GUICHET_LLM_PRICES, USD by default), by model, node and API-key name",
  labelNames: ["model", "node", "key"] as const,
  registers: [registry],
});

const llmTokens = new Counter({
  name: "guichet_llm_tokens_total",
  help: "Tokens of LLM calls by model, node, API-key name and type (input, output)",
  labelNames: ["model", "node", "key", "type"] as const,
  registers: [registry],
});

const cacheLookups = new Counter({
  name: "guichet_cache_lookups_total",
  help: "Answer-cache lookups by layer (exact, semantic, none) and outcome (hit, miss, bypass)",
  labelNames: ["layer", "outcome"] as const,
  registers: [registry],
});

const guardDecisions = new Counter({
  name: "guichet_guard_decisions_total",
  help: "Input-guard decisions (allowed, blocked, redacted) by reason (refusal reason or kind of personal data)",
  labelNames: ["decision", "reason"] as const,
  registers: [registry],
});

const rateLimitRejections = new Counter({
  name: "guichet_rate_limit_rejections_total",
  help: "Requests refused with 429 by the rate limiter, by kind of caller",
  labelNames: ["principal_kind"] as const,
  registers: [registry],
});

const breakerTransitions = new Counter({
  name: "guichet_llm_breaker_transitions_total",
  help: "Circuit-breaker transitions of an LLM endpoint (to: open, half_open, closed)",
  labelNames: ["endpoint", "to"] as const,
  registers: [registry],
});

const shed = new Counter({
  name: "guichet_llm_shed_total",
  help: "Runs turned away by the LLM queue (503), by reason (queue_full, deadline)",
  labelNames: ["reason"] as const,
  registers: [registry],
});

const budgetExceeded = new Counter({
  name: "guichet_budget_exceeded_total",
  help: "Runs answered extractively because a daily LLM budget was spent, by scope (global or key:<name>)",
  labelNames: ["scope"] as const,
  registers: [registry],
});

/** What the gauges read when Prometheus scrapes: set by the server that owns the capabilities. */
export interface GaugeSources {
  breakers?: () => Array<{ endpoint: string; state: "closed" | "half_open" | "open" }>;
  queue?: () => { active: number; queued: number };
  corpus?: () => { source: string; version: string; snapshotDate: string; chunks: number; fiches: number };
  budgets?: () => { alertShare: number; status: Array<{ scope: string; unit: string; spent: number; limit: number }> };
}

let sources: GaugeSources = {};

/** The server's gauge readers (the latest server started in this process wins). */
export function setGaugeSources(next: GaugeSources): void {
  sources = next;
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

new Gauge({
  name: "guichet_llm_breaker_state",
  help: "Circuit breaker of an LLM endpoint: 0 closed, 1 half-open, 2 open",
  labelNames: ["endpoint"] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const b of sources.breakers?.() ?? []) this.set({ endpoint: b.endpoint }, BREAKER_VALUE[b.state]);
  },
});

new Gauge({
  name: "guichet_llm_queue_depth",
  help: "Runs holding (active) or waiting for (queued) a slot of the LLM queue",
  labelNames: ["state"] as const,
  registers: [registry],
  collect() {
    this.reset();
    const queue = sources.queue?.();
    if (!queue) return;
    this.set({ state: "active" }, queue.active);
    this.set({ state: "queued" }, queue.queued);
  },
});

new Gauge({
  name: "guichet_corpus_info",
  help: "The corpus served (always 1): source, corpus version and snapshot date as labels",
  labelNames: ["source", "version", "snapshot_date"] as const,
  registers: [registry],
  collect() {
    this.reset();
    const corpus = sources.corpus?.();
    if (corpus) this.set({ source: corpus.source, version: corpus.version, snapshot_date: corpus.snapshotDate }, 1);
  },
});

/** A gauge without labels whose value, read at each scrape, comes from the corpus (none without a server). */
function corpusGauge(name: string, help: string, read: (corpus: NonNullable<ReturnType<NonNullable<GaugeSources["corpus"]>>>) => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      const corpus = sources.corpus?.();
      const value = corpus ? read(corpus) : Number.NaN;
      if (Number.isFinite(value)) this.set(value);
    },
  });
}

corpusGauge(
  "guichet_corpus_snapshot_timestamp_seconds",
  "Snapshot date of the corpus (its newest fiche's modification date), epoch seconds",
  (corpus) => Date.parse(`${corpus.snapshotDate}T00:00:00Z`) / 1000,
);
corpusGauge("guichet_index_chunks", "Passages (chunks) in the loaded index", (corpus) => corpus.chunks);
corpusGauge("guichet_index_fiches", "Fiches in the loaded index", (corpus) => corpus.fiches);

/** A budget gauge by scope and unit, read at each scrape from the budgets' status. */
function budgetGauge(name: string, help: string, field: "spent" | "limit"): void {
  new Gauge({
    name,
    help,
    labelNames: ["scope", "unit"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources.budgets?.().status ?? []) this.set({ scope: s.scope, unit: s.unit }, s[field]);
    },
  });
}

budgetGauge("guichet_budget_spent", "LLM spending of the current UTC day by scope (global or key:<name>) and unit (cost, tokens)", "spent");
budgetGauge("guichet_budget_limit", "Daily LLM budget by scope (global or key:<name>) and unit (cost, tokens)", "limit");

new Gauge({
  name: "guichet_budget_alert_ratio",
  help: "Share of a daily budget at which operators are alerted (GUICHET_BUDGET_ALERT_SHARE)",
  registers: [registry],
  collect() {
    this.reset();
    const budgets = sources.budgets?.();
    if (budgets) this.set(budgets.alertShare);
  },
});

/** The recorders the rest of the code calls. */
export const record = {
  http(route: string, method: string, status: number, seconds: number): void {
    if (enabled) httpDuration.observe({ route, method, status: String(status) }, seconds);
  },
  node(node: string, seconds: number): void {
    if (enabled) nodeDuration.observe({ node }, seconds);
  },
  /** `variant`: the experiment variant that ran ("default" outside any experiment). */
  run(outcome: "answered" | "not_found" | "blocked" | "error", degraded: string[] = [], variant = DEFAULT_VARIANT, seconds?: number): void {
    if (!enabled) return;
    runs.inc({ outcome, variant });
    if (seconds !== undefined) runDuration.observe({ variant }, seconds);
    for (const reason of degraded) degradations.inc({ reason });
  },
  genAiOperation(
    operation: "chat" | "embeddings",
    provider: string,
    model: string,
    seconds: number,
    tokens: { input?: number; output?: number } | undefined,
    errorType = "",
  ): void {
    if (!enabled) return;
    const common = { gen_ai_operation_name: operation, gen_ai_provider_name: provider, gen_ai_request_model: model };
    operationDuration.observe({ ...common, error_type: errorType }, seconds);
    if (tokens?.input !== undefined) tokenUsage.observe({ ...common, gen_ai_token_type: "input" }, tokens.input);
    if (tokens?.output !== undefined) tokenUsage.observe({ ...common, gen_ai_token_type: "output" }, tokens.output);
  },
  llmUsage(model: string, node: string, key: string, cost: number, input: number, output: number): void {
    if (!enabled) return;
    llmCost.inc({ model, node, key }, cost);
    llmTokens.inc({ model, node, key, type: "input" }, input);
    llmTokens.inc({ model, node, key, type: "output" }, output);
  },
  cacheLookup(layer: "exact" | "semantic" | "none", outcome: "hit" | "miss" | "bypass"): void {
    if (enabled) cacheLookups.inc({ layer, outcome });
  },
  guardDecision(decision: "allowed" | "blocked" | "redacted", reason: string): void {
    if (enabled) guardDecisions.inc({ decision, reason });
  },
  rateLimited(principalKind: string): void {
    if (enabled) rateLimitRejections.inc({ principal_kind: principalKind });
  },
  breakerTransition(endpoint: string, to: "open" | "half_open" | "closed"): void {
    if (enabled) breakerTransitions.inc({ endpoint, to });
  },
  shed(reason: string): void {
    if (enabled) shed.inc({ reason });
  },
  budgetExceeded(scope: string): void {
    if (enabled) budgetExceeded.inc({ scope });
  },
};
