import type { BaseMessageLike } from "@langchain/core/messages";
import type { AIMessageChunk } from "@langchain/core/messages";
import type { ChatOpenAI } from "@langchain/openai";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { PROVIDER_NAME } from "../telemetry/gen-ai-span.js";
import { record } from "../telemetry/metrics.js";
import { conversationAttributes, tracer } from "../telemetry/tracing.js";
import type { Resilience } from "./resilience.js";
import type { Role, RoleSettings } from "./settings.js";
import { usageOf, type PriceTable, type UsageRecord } from "./usage.js";

export interface ChatCall {
  /** Graph node making the call (usage is kept per node). */
  node: string;
  signal?: AbortSignal;
  deadlineAt?: number;
  /** Streams the reply: called with each text delta as it arrives. */
  onToken?: (text: string) => void;
}

export interface ChatResult {
  text: string;
  usage: UsageRecord;
  attempts: number;
}


/** A chat model of one role behind the resilience layer, traced with the OpenTelemetry GenAI attributes. */
export class ResilientChat {
  constructor(
    readonly role: Role,
    readonly settings: RoleSettings,
    readonly model: ChatOpenAI,
    private readonly endpoint: string,
    private readonly resilience: Resilience,
    private readonly prices: PriceTable,
  ) {}

  async invoke(messages: BaseMessageLike[], call: ChatCall): Promise<ChatResult> {
    const attributes = {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": PROVIDER_NAME,
      "gen_ai.request.model": this.settings.model,
      "gen_ai.request.temperature": this.settings.temperature,
      "gen_ai.request.max_tokens": this.settings.maxTokens,
      "guichet.llm.role": this.role,
      "guichet.node": call.node,
      ...conversationAttributes(),
    };
    return tracer().startActiveSpan(`chat ${this.settings.model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const started = performance.now();
      let emitted = false;
      try {
        const { value: message, attempts } = await this.resilience.call(
          this.endpoint,
          async (signal) => {
            if (!call.onToken) return this.model.invoke(messages, { signal });
            let full: AIMessageChunk | undefined;
            for await (const chunk of await this.model.stream(messages, { signal })) {
              full = full ? full.concat(chunk) : chunk;
              const text = chunk.text;
              if (text) {
                emitted = true;
                call.onToken(text);
              }
            }
            if (!full) throw new Error("empty stream");
            return full;
          },
          {
            ...(call.signal ? { signal: call.signal } : {}),
            ...(call.deadlineAt !== undefined ? { deadlineAt: call.deadlineAt } : {}),
            canRetry: () => !emitted,
          },
        );
        const promptChars = messages.reduce<number>((n, m) => n + JSON.stringify(m).length, 0);
        const usage = usageOf(message, {
          node: call.node,
          model: this.settings.model,
          promptChars,
          modelMs: performance.now() - started,
          prices: this.prices,
        });
        span.setAttributes({
          "gen_ai.usage.input_tokens": usage.input_tokens,
          "gen_ai.usage.output_tokens": usage.output_tokens,
          "guichet.llm.attempts": attempts,
          "guichet.llm.usage_estimated": usage.estimated,
          ...(message.response_metadata?.model_name ? { "gen_ai.response.model": String(message.response_metadata.model_name) } : {}),
        });
        record.genAiOperation("chat", PROVIDER_NAME, this.settings.model, (performance.now() - started) / 1000, {
          input: usage.input_tokens,
          output: usage.output_tokens,
        });
        return { text: message.text, usage, attempts };
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        span.setAttribute("error.type", errorType(error));
        record.genAiOperation("chat", PROVIDER_NAME, this.settings.model, (performance.now() - started) / 1000, undefined, errorType(error));
        throw error;
      } finally {
        span.end();
      }
    });
  }
}

/** `error.type` of the GenAI conventions: why the call gave up (LlmUnavailableError's reason), else the error's name. */
function errorType(error: unknown): string {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === "string" ? reason : ((error as Error).name ?? "Error");
}
