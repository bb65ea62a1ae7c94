import type { LangGraphRunnableConfig } from "@langchain/langgraph";
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
