import type { GuichetContext, GuichetRunConfig, NodeEvent } from "./configuration.js";
import { cachePeekNode, guardNode } from "./guichet.js";
import type { AskInput, FinalState } from "./run.js";
import type { GuichetStateType } from "./state.js";

/**
 * An exact cache hit answered before the graph runtime starts: the graph's own guard node, then the cache's
 * exact layer, called as plain functions with their spans, timings and progress events. Starting LangGraph's
 * runtime costs about 3 ms a run, several times what the hit itself costs. Conversations (their history and
 * turns live in the graph's checkpoints), a configured guard model (it stays in the graph so it is asked once)
 * and everything that is not an exact hit run the whole graph, whose `cache` node looks again with both layers.
 */
export async function exactHitBeforeGraph(
  input: AskInput,
  context: GuichetContext,
  options: { threaded: boolean; signal?: AbortSignal; onEvent?: (event: NodeEvent) => void },
): Promise<FinalState | undefined> {
  const { capabilities } = context;
  if (options.threaded || !capabilities.answerCache || capabilities.chatModels?.guard) return undefined;
  const config = {
    context,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { writer: options.onEvent } : {}),
  } as GuichetRunConfig;
  const asked = { question: input.question, requestedLanguage: input.language, redacted: [], distress: false } as unknown as GuichetStateType;
  const guarded = await guardNode(asked, config);
  if (guarded.refusal) return undefined;
  const hit = await cachePeekNode({ ...asked, ...guarded } as GuichetStateType, config);
  if (hit.cacheOutcome?.status !== "exact" || !hit.reply) return undefined;
  return {
    language: hit.language ?? guarded.language ?? "fr",
    refusal: null,
    reply: hit.reply,
    timings: { ...guarded.timings, ...hit.timings },
    degradations: [],
    redacted: guarded.redacted ?? [],
    distress: guarded.distress ?? false,
    cacheOutcome: hit.cacheOutcome,
    understoodAs: "",
  };
}
