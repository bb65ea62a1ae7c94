import type { ChunkAction } from "../corpus/chunk.js";
import { actionsOfCited } from "../tools/answer/merge-parts.js";
import type { Citation } from "../tools/answer/types.js";
import { DISTRESS_NOTICE } from "../tools/guard/distress.js";
import { redactionNotice } from "../tools/guard/notice.js";
import type { PiiType } from "../tools/guard/pii.js";
import type { Attributes, Span } from "@opentelemetry/api";
import { summarizeUsage, type UsageSummary } from "../tools/llm/usage.js";
import { record } from "../tools/telemetry/metrics.js";
import { traceIdOf, withConversation, withSpan } from "../tools/telemetry/tracing.js";
import { withoutLlm, type RunAccounting } from "./accounting.js";
import { answerSources, type AnswerSources } from "./answer-sources.js";
import { attributionOf } from "../corpus/sources/attribution.js";
import type { Capabilities } from "./capabilities.js";
import type { GuichetConfiguration, GuichetContext, NodeEvent } from "./configuration.js";
import { exactHitBeforeGraph } from "./exact-hit.js";
import type { GuichetGraph } from "./guichet.js";
import type { GuichetStateType, RefusalReason } from "./state.js";

export interface AskInput {
  question: string;
  language?: string;
  /** A conversation to continue (with `owner`, and a graph compiled with a checkpointer). */
  threadId?: string;
  /** Who asks: the thread's owner (API key name or JWT subject). */
  owner?: string;
  /** Who pays: the API key's name, `jwt` or `anonymous` (a bounded metrics label, the budget's scope). */
  caller?: string;
}

/** The public shape of an answer, shared by `POST /invoke`, `npm run ask -- --json` and the evals. */
export interface AskResponse {
  answer: string;
  citations: Citation[];
  /** Online services, forms and offices of the cited fiches: `{title, url, kind}` links to act on. */
  actions: ChunkAction[];
  language: string;
  blocked: false | { reason: RefusalReason };
  /** Kinds of personal data removed from the question before anything used it ([] when none). */
  redacted: PiiType[];
  found: boolean;
  degraded: string[];
  sources: AnswerSources;
  trace_id: string;
  timings: Record<string, number>;
  /** Tokens, cost and model time of the run's LLM calls; present only when an LLM is configured. */
  usage?: UsageSummary;
  /** What the answer cache did: served an identical or a similar question, found nothing, or was not consulted. */
  cache: "exact" | "semantic" | "miss" | "bypass";
  /** On a semantic hit, the similarity of the cached question to this one (0–1). */
  cache_similarity?: number;
  /** In a conversation: the standalone question answered (a follow-up rewritten from the earlier turns). */
  understood_as?: string;
  thread_id?: string;
  /** The experiment variant that answered, when an experiment runs (GUICHET_EXPERIMENT_FILE). */
  variant?: string;
  /** Names this answer for `POST /feedback`; present when the run log recorded it (docs/feedback.md). */
  run_id?: string;
}

/** What a streamed run emits before its final response: the nodes' events, then the citations. */
export type RunEvent = NodeEvent | { type: "citations"; citations: Citation[] };

/** The licence of the service-public.fr fiches (lexicon/source-attribution.json has each source's). */
export const LICENCE = attributionOf("vdd-npm").licence;

export interface RunOptions {
  capabilities: Capabilities;
  configuration?: Partial<GuichetConfiguration>;
  signal?: AbortSignal;
  /** Streams the run: receives progress, answer tokens and citations as they come. */
  onEvent?: (event: RunEvent) => void;
  /** Overrides the LLM deadline of the capabilities (milliseconds from the start of the run). */
  deadlineMs?: number;
  /** Budgets and the usage log (absent: LLM use is neither limited nor logged). */
  accounting?: RunAccounting;
  /** Puts the redacted question on the run's span (`guichet.question`); off by default. */
  traceQuestions?: boolean;
  /** The experiment variant whose capabilities and configuration this run uses (tools/experiments/). */
  variant?: string;
  /** Receives the run's final state (the evals read the passages the answer was written from). */
  inspect?: (state: FinalState) => void;
}

export type FinalState = Pick<GuichetStateType, "question" | "language" | "refusal" | "reply" | "timings" | "degradations" | "redacted" | "cacheOutcome" | "understoodAs"> &
  Partial<Pick<GuichetStateType, "distress">> &
  Partial<Pick<GuichetStateType, "passages">> &
  Partial<Pick<GuichetStateType, "usage" | "questionClass">>;

export const WORKFLOW_NAME = "guichet";

/**
 * Runs the graph once inside a root span and maps its final state to the public response. `/invoke` and
 * `/stream` both come here: the graph is always streamed (final values + the nodes' custom events), and the
 * events reach `onEvent` when the caller streams. An exact cache hit is answered before the graph starts
 * (graphs/exact-hit.ts), under the same root span and with the same guard and cache spans. A caller past its
 * daily budget is answered with the offline capabilities (`budget_exceeded`); the run's LLM usage is counted in
 * the metrics, the budgets and the usage log.
 */
export async function runGuichet(graph: GuichetGraph, input: AskInput, options: RunOptions): Promise<AskResponse> {
  const attributes = {
    "gen_ai.operation.name": "invoke_workflow",
    "guichet.graph": graph.name ?? WORKFLOW_NAME,
    ...(input.threadId !== undefined ? { "gen_ai.conversation.id": input.threadId } : {}),
  };
  return withConversation(input.threadId, () =>
    withSpan(`invoke_workflow ${graph.name ?? WORKFLOW_NAME}`, attributes, async (span) => {
      try {
        return await answerRun(graph, input, options, span);
      } catch (error) {
        record.run("error", [], options.variant);
        throw error;
      }
    }),
  );
}

async function answerRun(graph: GuichetGraph, input: AskInput, options: RunOptions, span: Span): Promise<AskResponse> {
  const started = performance.now();
  const { onEvent, accounting } = options;
  const caller = input.caller ?? "anonymous";
  const breach = options.capabilities.llm && accounting ? await accounting.overBudget(caller) : false;
  const capabilities = breach ? withoutLlm(options.capabilities) : options.capabilities;
  const deadlineMs = options.deadlineMs ?? capabilities.llm?.deadlineMs;
  const held: NonNullable<GuichetContext["held"]> = {};
  const context: GuichetContext = {
    capabilities,
    held,
    configuration: options.configuration ?? {},
    ...(deadlineMs !== undefined ? { deadlineAt: Date.now() + deadlineMs } : {}),
    ...(onEvent ? { stream: true } : {}),
  };
  let state: FinalState | undefined;
  try {
    const threaded = input.threadId !== undefined && input.owner !== undefined;
    state = await exactHitBeforeGraph(input, context, {
      threaded,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onEvent ? { onEvent } : {}),
    });
    if (!state) state = await runGraph(graph, input, context, threaded, options);
    // A cached answer is the full one: only an answer written offline because of the budget says so.
  if (state && breach && state.cacheOutcome.status !== "exact" && state.cacheOutcome.status !== "semantic") {
    state = { ...state, degradations: [...state.degradations, "budget_exceeded"] };
    record.budgetExceeded(breach.scope);
  }
    if (state && held.ticket && capabilities.answerCache && isCacheable(state)) {
      const reply = state.reply!;
      await capabilities.answerCache.store(held.ticket, {
        answer: reply.answer,
        citations: reply.citations,
        actions: reply.actions ?? actionsOfCited(reply, state.passages ?? [], new Set(reply.citations.map((c) => c.id))),
        language: state.language,
        found: reply.found,
      });
    }
  } finally {
    held.releaseSlot?.();
    // An answer not kept (or a failed run) frees its lock at once: identical questions waiting compute it.
    if (held.ticket) await capabilities.answerCache?.release(held.ticket);
  }
  if (!state) throw new Error("the graph returned no state");
  options.inspect?.(state);
  const reply = state.reply ?? { answer: "", citations: [], found: false };
  const timings = { ...state.timings, total: Math.round((performance.now() - started) * 1000) / 1000 };
  const usage = state.usage ?? [];
  const summary = summarizeUsage(usage);
  const cached = state.cacheOutcome.status === "exact" || state.cacheOutcome.status === "semantic";
  for (const u of usage) record.llmUsage(u.model, u.node, caller, u.cost, u.input_tokens, u.output_tokens);
  if (options.capabilities.llm) accounting?.charge(caller, usage, cached);
  record.run(state.refusal ? "blocked" : reply.found ? "answered" : "not_found", state.degradations, options.variant, timings.total / 1000);
  span.setAttributes(runAttributes(state, reply, summary.total, options.traceQuestions === true));
  if (options.variant !== undefined) span.setAttribute("guichet.variant", options.variant);
  onEvent?.({ type: "citations", citations: reply.citations });
  return {
    // A message of distress gets the helplines before anything else.
    answer: (state.distress ? `${DISTRESS_NOTICE}\n\n` : "") + reply.answer + redactionNotice(state.redacted),
    citations: reply.citations,
    actions: reply.actions ?? actionsOfCited(reply, state.passages ?? [], new Set(reply.citations.map((c) => c.id))),
    language: state.language,
    blocked: state.refusal ? { reason: state.refusal.reason } : false,
    redacted: state.redacted,
    found: reply.found,
    degraded: state.degradations,
    sources: answerSources(options.capabilities.snapshot, options.capabilities.search.chunks ?? [], reply.citations),
    trace_id: traceIdOf(span),
    timings,
    ...(options.capabilities.llm ? { usage: summary } : {}),
    cache: state.cacheOutcome.status,
    ...(input.threadId && input.owner ? { thread_id: input.threadId } : {}),
    ...(state.understoodAs ? { understood_as: state.understoodAs } : {}),
    ...(options.variant !== undefined ? { variant: options.variant } : {}),
    ...(state.cacheOutcome.status === "semantic" ? { cache_similarity: Math.round(state.cacheOutcome.similarity * 1000) / 1000 } : {}),
  };
}

/** What the run's span says of it: the guard's verdict, the cache layer, the passages, degradations, cost. */
function runAttributes(state: FinalState, reply: { citations: Citation[]; found: boolean }, usage: UsageSummary["total"], withQuestion: boolean): Attributes {
  return {
    "guichet.guard.verdict": state.refusal ? "blocked" : state.redacted.length > 0 ? "redacted" : "allowed",
    ...(state.refusal ? { "guichet.refusal_reason": state.refusal.reason } : {}),
    "guichet.blocked": Boolean(state.refusal),
    "guichet.redacted": state.redacted,
    "guichet.cache": state.cacheOutcome.status,
    "guichet.question_class": state.questionClass ?? "",
    "guichet.passage_ids": (state.passages ?? []).map((p) => p.chunk.id),
    "guichet.citation_count": reply.citations.length,
    "guichet.found": reply.found,
    "guichet.degradations": state.degradations,
    "guichet.cost": usage.cost,
    "gen_ai.usage.input_tokens": usage.input_tokens,
    "gen_ai.usage.output_tokens": usage.output_tokens,
    ...(withQuestion && state.question ? { "guichet.question": state.question } : {}),
  };
}

/** The graph's run, streamed (final values, and the nodes' custom events when the caller streams). */
async function runGraph(graph: GuichetGraph, input: AskInput, context: GuichetContext, threaded: boolean, options: RunOptions): Promise<FinalState | undefined> {
  const { onEvent } = options;
  const stream = await graph.stream(
    { question: input.question, requestedLanguage: input.language, ...(threaded ? { owner: input.owner } : {}) },
    {
      context: context as GuichetContext & Record<string, unknown>,
      streamMode: onEvent ? ["values", "custom"] : ["values"],
      // A thread is checkpointed once, when the run ends: the stored state holds only the guard's redacted text.
      ...(threaded ? { configurable: { thread_id: input.threadId }, durability: "exit" as const } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  let state: FinalState | undefined;
  for await (const [mode, chunk] of stream as AsyncIterable<[string, unknown]>) {
    if (mode === "values") state = chunk as FinalState;
    else onEvent?.(chunk as NodeEvent);
  }
  return state;
}

/**
 * Only answers that depend on nothing but the question and the versions are kept: not refusals, not answers
 * without a source, not degraded ones (they would outlive the outage), not questions that had personal data
 * removed, not messages of distress.
 */
function isCacheable(state: FinalState): boolean {
  return (
    state.cacheOutcome.status === "miss" &&
    !state.refusal &&
    state.reply?.found === true &&
    state.degradations.length === 0 &&
    state.redacted.length === 0 &&
    !state.distress
  );
}
