import { LoadShedError } from "../tools/llm/admission.js";
import type { AppOptions } from "./app.js";

type Check = { status: "ok" | "degraded" | "down" | "off"; detail?: string } & Record<string, unknown>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, Check>;
}

/**
 * What `/ready` reports. Only the index is required: without Redis the cache is bypassed and limits are counted
 * per instance, with the LLM's breaker open answers are extractive, so the instance still serves (200,
 * "degraded" checks); a load balancer takes it out only when it cannot answer at all (503).
 */
export function readiness(options: Pick<AppOptions, "capabilities" | "rateLimiter" | "threads">): ReadinessReport {
  const { capabilities, rateLimiter, threads } = options;
  const chunks = capabilities.search.chunks.length;
  const checks: Record<string, Check> = {
    index: chunks > 0 ? { status: "ok", fiches: capabilities.snapshot.fiches, chunks } : { status: "down", detail: "no index loaded" },
  };
  const cache = capabilities.answerCache?.backend.status();
  checks.cache = cache
    ? { status: cache.reachable ? "ok" : "degraded", backend: cache.kind, ...(cache.entries !== undefined ? { entries: cache.entries } : {}) }
    : { status: "off" };
  const limits = rateLimiter?.status();
  checks.redis =
    limits?.store === "redis" || cache?.kind === "redis"
      ? (limits?.degraded ?? false) || cache?.reachable === false
        ? { status: "degraded", detail: "unreachable: cache bypassed, rate limits counted per instance" }
        : { status: "ok" }
      : { status: "off" };
  const llm = capabilities.llm;
  if (llm) {
    const breaker = llm.breakerState();
    checks.llm = { status: breaker === "closed" ? "ok" : "degraded", breaker, ...(breaker === "closed" ? {} : { detail: "extractive answers until the endpoint recovers" }) };
  } else {
    checks.llm = { status: "off" };
  }
  const store = threads?.store.status();
  checks.threads = store
    ? store.reachable
      ? { status: "ok", backend: store.kind }
      : { status: "degraded", backend: store.kind, detail: "unreachable: thread routes answer 503, other questions are answered" }
    : { status: "off" };
  checks.queue = capabilities.llmAdmission ? { status: "ok", ...capabilities.llmAdmission.status() } : { status: "off" };
  return { ready: checks.index!.status === "ok", checks };
}

/** The LoadShedError behind a failed run, if that is why it failed. */
export function loadShedOf(error: unknown): LoadShedError | undefined {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) if (e instanceof LoadShedError) return e;
  return undefined;
}
