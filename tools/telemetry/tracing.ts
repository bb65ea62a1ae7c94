import { randomBytes } from "node:crypto";
import { context, createContextKey, SpanStatusCode, trace, TraceFlags, type Attributes, type Span } from "@opentelemetry/api";

export const TRACER_NAME = "guichet";

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** Runs `fn` inside an active span; records exceptions and ends the span whatever happens. */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span for work already done, child of the active span: started and ended at these epoch milliseconds. */
export function recordSpan(name: string, attributes: Attributes, startMs: number, endMs: number): void {
  tracer().startSpan(name, { attributes, startTime: startMs }).end(endMs);
}

const ZERO_TRACE = "0".repeat(32);

/** The span's trace id, or a fresh random one when tracing is off (no-op spans carry zeros). */
export function traceIdOf(span: Span): string {
  const id = span.spanContext().traceId;
  if (id && id !== ZERO_TRACE) return id;
  return randomSpan().spanContext().traceId;
}

/** A non-recording span with random trace and span ids: one trace id for a request or run that is not traced. */
export function randomSpan(): Span {
  return trace.wrapSpanContext({
    traceId: randomBytes(16).toString("hex"),
    spanId: randomBytes(8).toString("hex"),
    traceFlags: TraceFlags.NONE,
  });
}

const CONVERSATION = createContextKey("guichet.conversation");

/** Runs `fn` with the conversation (thread) id in context, for the GenAI client spans made inside it. */
export function withConversation<T>(threadId: string | undefined, fn: () => T): T {
  return threadId === undefined ? fn() : context.with(context.active().setValue(CONVERSATION, threadId), fn);
}

/** `gen_ai.conversation.id` of the current run, when it belongs to a thread. */
export function conversationAttributes(): Attributes {
  const id = context.active().getValue(CONVERSATION);
  return typeof id === "string" ? { "gen_ai.conversation.id": id } : {};
}
