import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessageLike } from "@langchain/core/messages";
import type { ResilientChat } from "./chat.js";

/**
 * A role's resilient chat model seen as a LangChain chat model for the helpers that only call
 * `invoke(messages, {signal})` and read the reply's content (translation, planning, guard classifier):
 * their calls get the same timeout, retries, breaker and client span as the answer's.
 */
export function asChatModel(chat: ResilientChat): BaseChatModel {
  const adapter = {
    invoke: async (messages: BaseMessageLike[], options?: { signal?: AbortSignal }) => {
      const result = await chat.invoke(messages, { node: chat.role, ...(options?.signal ? { signal: options.signal } : {}) });
      return new AIMessage(result.text);
    },
  };
  return adapter as unknown as BaseChatModel;
}
