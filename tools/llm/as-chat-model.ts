import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, type BaseMessageLike } from "@langchain/core/messages";
import type { ResilientChat } from "./chat.js";
import type { UsageRecord } from "./usage.js";

/** Key of the reply's `response_metadata` holding the call's usage record. */
const USAGE_KEY = "guichet_usage";

/**
 * A role's resilient chat model seen as a LangChain chat model for the helpers that only call
 * `invoke(messages, {signal})` and read the reply's content (translation, planning, guard classifier):
 * their calls get the same timeout, retries, breaker and client span as the answer's. The call's usage record
 * rides on the reply (`usageRecordOf`) so that a node can keep it in the state; `deadlineAt` in the call
 * options bounds the call like the answer's.
 */
export function asChatModel(chat: ResilientChat): BaseChatModel {
  const adapter = {
    invoke: async (messages: BaseMessageLike[], options?: { signal?: AbortSignal; deadlineAt?: number }) => {
      const result = await chat.invoke(messages, {
        node: chat.role,
        ...(options?.signal ? { signal: options.signal } : {}),
        ...(options?.deadlineAt !== undefined ? { deadlineAt: options.deadlineAt } : {}),
      });
      return new AIMessage({ content: result.text, response_metadata: { [USAGE_KEY]: result.usage } });
    },
  };
  return adapter as unknown as BaseChatModel;
}

/** The usage record of a reply from `asChatModel`, or null for another model's reply. */
export function usageRecordOf(message: BaseMessage): UsageRecord | null {
  const record = (message.response_metadata as Record<string, unknown> | undefined)?.[USAGE_KEY];
  return record && typeof record === "object" ? (record as UsageRecord) : null;
}
