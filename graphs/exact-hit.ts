import type { Attributes } from "@opentelemetry/api";
import { cachePeek } from "../nodes/cache.js";
import { guardRules } from "../nodes/guard.js";
import { countAllowed } from "../tools/guard/metrics.js";
import { record } from "../tools/telemetry/metrics.js";
import { recordSpan } from "../tools/telemetry/tracing.js";
import type { GuichetContext, GuichetRunConfig, NodeEvent } from "./configuration.js";
import { describeCache, describeGuard } from "./guichet.js";
import type { AskInput, FinalState } from "./run.js";
import type { GuichetStateType, GuichetUpdate } from "./state.js";

const ms = (from: number, to: number) => Math.round((to - from) * 1000) / 1000;

/**
 * An exact cache hit answered before the graph runtime starts: the guard's rules, then the cache's exact layer,
 * called as plain functions. Starting LangGraph's runtime costs about 3 ms a run, several times what the hit
 * itself costs. Only a question the guard lets through untouched is looked up here (anything to refuse, redact
 * or flag is the graph's). Conversations (their history lives in the graph's checkpoints) and a configured guard
 * model (asked once, inside the graph) always run the graph. A hit reports the two steps as the graph would —
 * spans, timings, progress events — once it is known to be a hit; a miss reports nothing here and runs the whole
 * graph, whose `cache` node looks again with both layers.
 */
export async function exactHitBeforeGraph(
  input: AskInput,
  context: GuichetContext,
  options: { threaded: boolean; signal?: AbortSignal; onEvent?: (event: NodeEvent) => void },
): Promise<FinalState | undefined> {
  const { capabilities } = context;
  if (options.threaded || !capabilities.answerCache || capabilities.chatModels?.guard) return undefined;
  const config = { context, ...(options.signal ? { signal: options.signal } : {}) } as GuichetRunConfig;
  const started = performance.now();
  const { inspection, update } = guardRules({ question: input.question, requestedLanguage: input.language }, config);
  if (inspection.reason || inspection.redacted.length > 0 || inspection.distress) return undefined;
  const guarded: GuichetUpdate = { ...update, refusal: null };
  const inspected = performance.now();
  const hit = await cachePeek({ ...guarded, requestedLanguage: input.language, understoodAs: "" } as GuichetStateType, config);
  const looked = performance.now();
  if (hit.cacheOutcome?.status !== "exact" || !hit.reply) return undefined;
  const steps: Array<[string, number, number, Attributes]> = [
    ["guard", started, inspected, describeGuard(guarded)],
    ["cache", inspected, looked, describeCache(hit)],
  ];
  const timings: Record<string, number> = {};
  countAllowed([]);
  for (const [node, from, to, attributes] of steps) {
    recordSpan(node, { "guichet.node": node, ...attributes }, performance.timeOrigin + from, performance.timeOrigin + to);
    options.onEvent?.({ type: "progress", node, status: "started" });
    options.onEvent?.({ type: "progress", node, status: "finished", ms: ms(from, to) });
    timings[node] = ms(from, to);
    record.node(node, (to - from) / 1000);
  }
  return {
    question: guarded.question ?? input.question,
    language: hit.language ?? guarded.language ?? "fr",
    refusal: null,
    reply: hit.reply,
    timings,
    degradations: [],
    redacted: [],
    distress: false,
    cacheOutcome: hit.cacheOutcome,
    understoodAs: "",
  };
}
