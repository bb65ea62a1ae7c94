import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { CacheTicket } from "../tools/cache/answer-cache.js";
import type { Capabilities } from "./capabilities.js";

/** Tunables of a run, with their defaults. */
export interface GuichetConfiguration {
  /** Passages retrieved (top-k). */
  topK: number;
  /** At most this many passages of one fiche. */
  maxPerFiche: number;
  /** Longest accepted question, in characters. */
  maxQuestionLength: number;
}

export const DEFAULT_CONFIGURATION: GuichetConfiguration = {
  topK: 10,
  maxPerFiche: 2,
  maxQuestionLength: 500,
};

/** Runtime context handed to every node: the capabilities built at start-up and the run's tunables. */
export interface GuichetContext {
  capabilities: Capabilities;
  configuration?: Partial<GuichetConfiguration>;
  /** Epoch milliseconds after which no LLM call waits any longer (the run then degrades to offline paths). */
  deadlineAt?: number;
  /** True when the caller streams the run: nodes then emit progress and answer tokens through `config.writer`. */
  stream?: boolean;
  /**
   * What the run holds until it ends, filled by the cache node: on a miss, the ticket runGuichet stores the
   * answer under (and whose lock it frees); with an LLM, the queue slot it frees.
   */
  held?: { ticket?: CacheTicket; releaseSlot?: () => void };
}

export type GuichetRunConfig = LangGraphRunnableConfig;

/** The run's context, as the caller passed it (absent when a host such as LangGraph Studio runs the graph). */
export function contextOf(config?: GuichetRunConfig): Partial<GuichetContext> {
  return (config?.context ?? {}) as Partial<GuichetContext>;
}

/** Fills the run's configuration with defaults (configurable values win over context values). */
export function ensureConfiguration(config?: GuichetRunConfig): GuichetConfiguration {
  const fromContext = contextOf(config).configuration ?? {};
  const configurable = (config?.configurable ?? {}) as Partial<GuichetConfiguration>;
  const pick = <K extends keyof GuichetConfiguration>(key: K): GuichetConfiguration[K] =>
    configurable[key] ?? fromContext[key] ?? DEFAULT_CONFIGURATION[key];
  return { topK: pick("topK"), maxPerFiche: pick("maxPerFiche"), maxQuestionLength: pick("maxQuestionLength") };
}

/** Events a node emits while the run is streamed (see graphs/run.ts). */
export type NodeEvent =
  | { type: "progress"; node: string; status: "started" | "finished"; ms?: number }
  | { type: "token"; text: string }
  /** The tokens sent so far are void (the LLM failed mid-stream or its answer was replaced); tokens follow again. */
  | { type: "reset"; reason: string };

/** The writer of a streamed run, or undefined when the run is not streamed. */
export function eventWriter(config?: GuichetRunConfig): ((event: NodeEvent) => void) | undefined {
  if (!contextOf(config).stream || typeof config?.writer !== "function") return undefined;
  return config.writer as (event: NodeEvent) => void;
}

/** Signal and deadline an LLM call of this run must respect. */
export function llmCallOptions(config?: GuichetRunConfig): { signal?: AbortSignal; deadlineAt?: number } {
  const { deadlineAt } = contextOf(config);
  return {
    ...(config?.signal ? { signal: config.signal } : {}),
    ...(deadlineAt !== undefined ? { deadlineAt } : {}),
  };
}
