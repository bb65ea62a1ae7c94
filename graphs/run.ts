import type { Citation } from "../tools/answer/types.js";
import { redactionNotice } from "../tools/guard/notice.js";
import type { PiiType } from "../tools/guard/pii.js";
import { traceIdOf, withSpan } from "../tools/telemetry/tracing.js";
import type { Capabilities } from "./capabilities.js";
import type { GuichetConfiguration } from "./configuration.js";
import type { GuichetGraph } from "./guichet.js";
import type { RefusalReason } from "./state.js";

export interface AskInput {
  question: string;
  language?: string;
  threadId?: string;
}

/** The public shape of an answer, shared by `POST /invoke`, `npm run ask -- --json` and the evals. */
export interface AskResponse {
  answer: string;
  citations: Citation[];
  language: string;
  blocked: false | { reason: RefusalReason };
  /** Kinds of personal data removed from the question before anything used it ([] when none). */
  redacted: PiiType[];
  found: boolean;
  degraded: string[];
  sources: { name: string; snapshot_date: string; licence: string };
  trace_id: string;
  timings: Record<string, number>;
}

export const LICENCE = "Licence Ouverte 2.0 (DILA, service-public.fr)";

export interface RunOptions {
  capabilities: Capabilities;
  configuration?: Partial<GuichetConfiguration>;
  signal?: AbortSignal;
}

/** Runs the graph once inside a root span and maps its final state to the public response. */
export async function runGuichet(graph: GuichetGraph, input: AskInput, options: RunOptions): Promise<AskResponse> {
  return withSpan("guichet.run", { "guichet.graph": graph.name ?? "guichet" }, async (span) => {
    const started = performance.now();
    const state = await graph.invoke(
      { question: input.question, requestedLanguage: input.language },
      {
        context: { capabilities: options.capabilities, configuration: options.configuration ?? {} },
        ...(input.threadId ? { configurable: { thread_id: input.threadId } } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    const reply = state.reply ?? { answer: "", citations: [], found: false };
    const timings = { ...state.timings, total: Math.round((performance.now() - started) * 1000) / 1000 };
    span.setAttributes({
      "guichet.blocked": Boolean(state.refusal),
      "guichet.redacted": state.redacted,
      "guichet.citation_count": reply.citations.length,
    });
    return {
      answer: reply.answer + redactionNotice(state.redacted),
      citations: reply.citations,
      language: state.language,
      blocked: state.refusal ? { reason: state.refusal.reason } : false,
      redacted: state.redacted,
      found: reply.found,
      degraded: state.degradations,
      sources: {
        name: options.capabilities.snapshot.source,
        snapshot_date: options.capabilities.snapshot.date,
        licence: LICENCE,
      },
      trace_id: traceIdOf(span),
      timings,
    };
  });
}
