import type { QuestionClass } from "../tools/answer/question-class.js";
import { Annotation } from "@langchain/langgraph";
import type { Draft } from "../tools/answer/grounded.js";
import type { Citation, Passage, Reply } from "../tools/answer/types.js";
import type { GuardReason } from "../tools/guard/inspect.js";
import type { PiiType } from "../tools/guard/pii.js";

/** Passages retrieved for one sub-question of a multi-part question. */
export interface PartPassages {
  index: number;
  question: string;
  passages: Passage[];
}
import type { UsageRecord } from "../tools/llm/usage.js";

export type CacheOutcome =
  | { status: "exact" | "miss" | "bypass" }
  | { status: "semantic"; similarity: number; question: string };

export interface Refusal {
  reason: RefusalReason;
}

export type RefusalReason = GuardReason;

/** One answered question of a conversation, as kept in its thread (redacted text only). */
export interface Turn {
  question: string;
  understood_as: string;
  answer: string;
  citations: Citation[];
  language: string;
  at: string;
  /** Where this turn's answer was cached, so that erasing the thread erases it there too. */
  cache_key?: string;
}

/** Input of a graph run: what the caller says. */
export const InputState = Annotation.Root({
  question: Annotation<string>,
  /** Language the caller asked for (ISO 639-1); detected from the question when absent. */
  requestedLanguage: Annotation<string | undefined>,
  /** Who the conversation belongs to (API key name or JWT subject); set only on runs of a thread. */
  owner: Annotation<string | undefined>({ reducer: (kept, next) => kept ?? next, default: () => undefined }),
});

/** The one state every node reads from and writes to. */
export const GuichetState = Annotation.Root({
  ...InputState.spec,
  /** Kinds of personal data the guard removed from the question (the guard overwrites `question` with the redacted text). */
  redacted: Annotation<PiiType[]>({ reducer: (_, next) => next, default: () => [] }),
  /** The question reads as a message of distress: the answer opens with the helplines (never a refusal). */
  distress: Annotation<boolean>({ reducer: (_, next) => next, default: () => false }),
  /** Question as searched: NFKC, invisible characters removed, whitespace folded, personal data replaced by placeholders. */
  normalizedQuestion: Annotation<string>({ reducer: (_, next) => next, default: () => "" }),
  /** Language of the question and of the reply. */
  language: Annotation<string>({ reducer: (_, next) => next, default: () => "fr" }),
  /** Language detected in the question ("fr" when unsure); the reply's is `language`. */
  questionLanguage: Annotation<string>({ reducer: (_, next) => next, default: () => "fr" }),
  /** How `normalizedQuestion` was brought into French. */
  questionTranslation: Annotation<"none" | "glossary" | "apertium" | "llm">({ reducer: (_, next) => next, default: () => "none" }),
  /** What the question asks for (amount, duration, procedure, where…), read by `understand`. */
  questionClass: Annotation<QuestionClass | null>({ reducer: (_, next) => next, default: () => null }),
  /** Sub-questions of a multi-part question (empty for a simple one). */
  subQuestions: Annotation<string[]>({ reducer: (_, next) => next, default: () => [] }),
  /** Passages per sub-question, written in parallel by the retrieve_part branches and concatenated. */
  parts: Annotation<PartPassages[]>({
    reducer: (acc, next) => [...acc.filter((p) => !next.some((n) => n.index === p.index)), ...next],
    default: () => [],
  }),
  /** The conversation so far (threads only; kept by the checkpointer between runs). */
  turns: Annotation<Turn[]>({ reducer: (acc, next) => [...(acc ?? []), ...(next ?? [])], default: () => [] }),
  /** The standalone question this run answers (a follow-up rewritten from the conversation; else the question). */
  understoodAs: Annotation<string>({ reducer: (_, next) => next, default: () => "" }),
  /** What the answer cache did for this run (`bypass`: not looked up). */
  cacheOutcome: Annotation<CacheOutcome>({ reducer: (_, next) => next, default: () => ({ status: "bypass" }) }),
  refusal: Annotation<Refusal | null>({ reducer: (_, next) => next, default: () => null }),
  passages: Annotation<Passage[]>({ reducer: (_, next) => next, default: () => [] }),
  reply: Annotation<Reply | null>({ reducer: (_, next) => next, default: () => null }),
  /** The LLM's answer waiting for `verify` (null on the offline path). */
  draft: Annotation<Draft | null>({ reducer: (_, next) => next, default: () => null }),
  /**
   * LLM calls of the run (tokens, cost, time). No default on purpose: the channel stays absent from the
   * output of runs that made no LLM call, so offline responses keep their shape.
   */
  usage: Annotation<UsageRecord[]>({ reducer: (acc, next) => [...(acc ?? []), ...(next ?? [])] }),
  /** Milliseconds spent in each node. */
  timings: Annotation<Record<string, number>>({ reducer: (acc, next) => ({ ...acc, ...next }), default: () => ({}) }),
  /** Capabilities that fell back to a weaker mode during the run (e.g. "llm_unavailable"). */
  degradations: Annotation<string[]>({
    reducer: (acc, next) => [...new Set([...acc, ...next])],
    default: () => [],
  }),
});

export type GuichetStateType = typeof GuichetState.State;
/** What a node returns: the channels it changes. */
export type GuichetUpdate = Partial<GuichetStateType>;

/**
 * One update from two steps run inside the same node, the second after the first: the second's channels win,
 * except the accumulated ones, which add up as their reducers would (`usage` stays absent when neither has it).
 */
export function mergeUpdates(first: GuichetUpdate, second: GuichetUpdate): GuichetUpdate {
  const usage = [...(first.usage ?? []), ...(second.usage ?? [])];
  return {
    ...first,
    ...second,
    degradations: [...(first.degradations ?? []), ...(second.degradations ?? [])],
    ...(usage.length > 0 ? { usage } : {}),
  };
}

/** What a run returns to its caller. */
export const OutputState = Annotation.Root({
  /** The question as the guard left it (personal data replaced): the only form of it any trace may hold. */
  question: GuichetState.spec.question,
  questionClass: GuichetState.spec.questionClass,
  language: GuichetState.spec.language,
  refusal: GuichetState.spec.refusal,
  redacted: GuichetState.spec.redacted,
  distress: GuichetState.spec.distress,
  passages: GuichetState.spec.passages,
  reply: GuichetState.spec.reply,
  cacheOutcome: GuichetState.spec.cacheOutcome,
  understoodAs: GuichetState.spec.understoodAs,
  timings: GuichetState.spec.timings,
  degradations: GuichetState.spec.degradations,
  usage: GuichetState.spec.usage,
});
