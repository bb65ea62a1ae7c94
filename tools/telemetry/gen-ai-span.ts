import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { record } from "./metrics.js";
import { conversationAttributes, tracer } from "./tracing.js";

export const PROVIDER_NAME = "openai";

/**
 * A GenAI client span (`{operation} {model}`) with the conventions' attributes around a call that reports no
 * usage of its own (embeddings), and the operation-duration metric.
 */
export async function withGenAiClientSpan<T>(operation: "embeddings", model: string, fn: () => Promise<T>): Promise<T> {
  const attributes = {
    "gen_ai.operation.name": operation,
    "gen_ai.provider.name": PROVIDER_NAME,
    "gen_ai.request.model": model,
    ...conversationAttributes(),
  };
  return tracer().startActiveSpan(`${operation} ${model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const started = performance.now();
    try {
      const value = await fn();
      record.genAiOperation(operation, PROVIDER_NAME, model, (performance.now() - started) / 1000, undefined);
      return value;
    } catch (error) {
      const type = (error as Error).name ?? "Error";
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      span.setAttribute("error.type", type);
      record.genAiOperation(operation, PROVIDER_NAME, model, (performance.now() - started) / 1000, undefined, type);
      throw error;
    } finally {
      span.end();
    }
  });
}
