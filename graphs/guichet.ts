import { END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import { contextualize } from "../nodes/contextualize.js";
import { remember } from "../nodes/remember.js";
import { answer } from "../nodes/answer.js";
import { cacheLookup, routeAfterCache } from "../nodes/cache.js";
import { guard } from "../nodes/guard.js";
import { routeAfterPlan } from "../nodes/plan.js";
import { retrievePart } from "../nodes/retrieve-part.js";
import { understand } from "../nodes/understand.js";
import { refuse } from "../nodes/refuse.js";
import { retrieve } from "../nodes/retrieve.js";
import { translate } from "../nodes/translate.js";
import { tracedNode } from "../tools/telemetry/traced-node.js";
import { GuichetState, InputState, OutputState, type GuichetStateType, type GuichetUpdate } from "./state.js";

/**
 * After the guard: refused questions go to `refuse`; in a thread the question is first read against the
 * conversation (`contextualize`); then the answer cache, then retrieval.
 */
export function routeAfterGuard(state: GuichetStateType): "refuse" | "contextualize" | "retrieve" {
  if (state.refusal) return "refuse";
  return state.owner ? "contextualize" : "retrieve";
}

/** The end of an answered run: a thread's run adds its turn to the conversation first. */
function finish(state: GuichetStateType): "remember" | typeof END {
  return state.owner ? "remember" : END;
}

/** A reply in French is done; any other language goes through `translate` (each step costs the runtime time). */
export function routeToTranslation(state: GuichetStateType): "translate" | "remember" | typeof END {
  return state.language === "fr" ? finish(state) : "translate";
}

/** Span attributes of the guard step (also reported by graphs/exact-hit.ts for a hit answered before the graph). */
export const describeGuard = (update: GuichetUpdate) => ({
  "guichet.refused": Boolean(update.refusal),
  ...(update.refusal ? { "guichet.refusal_reason": update.refusal.reason } : {}),
  "guichet.redacted": update.redacted ?? [],
  "guichet.language": update.language ?? "",
});

/** Span attributes of the cache step. */
export const describeCache = (update: GuichetUpdate) => ({
  "guichet.cache": update.cacheOutcome?.status ?? "bypass",
  ...(update.cacheOutcome?.status === "semantic" ? { "guichet.cache_similarity": update.cacheOutcome.similarity } : {}),
});

const guardNode = tracedNode("guard", guard, describeGuard);
const cacheNode = tracedNode("cache", cacheLookup, describeCache);

/** Without a checkpointer the graph keeps nothing between runs; with one, runs given a thread_id continue it. */
export function buildGraph(options: { checkpointer?: BaseCheckpointSaver } = {}) {
  const builder = new StateGraph({ input: InputState, output: OutputState, stateSchema: GuichetState })
    .addNode("guard", guardNode)
    .addNode("refuse", tracedNode("refuse", refuse))
    .addNode("cache", cacheNode)
    .addNode(
      "understand",
      tracedNode("understand", understand, (update) => ({
        "guichet.question_language": update.questionLanguage ?? "",
        "guichet.question_translation": update.questionTranslation ?? "none",
        "guichet.sub_question_count": update.subQuestions?.length ?? 0,
        "guichet.question_class": update.questionClass ?? "",
      })),
    )
    .addNode(
      "retrieve_part",
      tracedNode("retrieve_part", retrievePart, (update) => ({
        "guichet.passage_count": update.parts?.[0]?.passages.length ?? 0,
      })),
    )
    .addNode(
      "retrieve",
      tracedNode("retrieve", retrieve, (update) => ({
        "guichet.passage_count": update.passages?.length ?? 0,
        "guichet.fiche_ids": [...new Set((update.passages ?? []).map((p) => p.chunk.ficheId))],
      })),
    )
    .addNode(
      "answer",
      tracedNode("answer", answer, (update) => ({
        "guichet.citation_count": update.reply?.citations.length ?? 0,
        "guichet.found": update.reply?.found ?? false,
      })),
    )
    .addNode("translate", tracedNode("translate", translate))
    .addNode("contextualize", tracedNode("contextualize", contextualize))
    .addNode("remember", tracedNode("remember", remember))
    .addEdge(START, "guard")
    .addConditionalEdges("guard", routeAfterGuard, { refuse: "refuse", contextualize: "contextualize", retrieve: "cache" })
    .addEdge("contextualize", "cache")
    .addConditionalEdges("cache", (state: GuichetStateType) => (routeAfterCache(state) === "hit" ? finish(state) : "understand"), [
      "understand",
      "remember",
      END,
    ])
    .addConditionalEdges("understand", routeAfterPlan, ["retrieve", "retrieve_part"])
    .addEdge("retrieve", "answer")
    .addEdge("retrieve_part", "answer")
    .addConditionalEdges("answer", routeToTranslation, ["translate", "remember", END])
    .addConditionalEdges("translate", finish, ["remember", END])
    .addEdge("remember", END)
    .addEdge("refuse", END);
  const compiled = builder.compile(options.checkpointer ? { checkpointer: options.checkpointer } : {});
  compiled.name = "guichet";
  return compiled;
}

export type GuichetGraph = ReturnType<typeof buildGraph>;

/** The compiled graph, exported for `langgraph.json` (LangGraph Studio and the CLI dev server). */
export const graph = buildGraph();
