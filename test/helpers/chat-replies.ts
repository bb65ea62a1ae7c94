import { ChatOpenAI } from "@langchain/openai";
import type { ScriptedReply } from "./scripted-openai.js";

/** A 200 chat completion whose assistant message is `content`, as an OpenAI-compatible server sends it. */
export function chatReply(content: string): ScriptedReply {
  return {
    status: 200,
    body: {
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 0,
      model: "x",
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    },
  };
}

/** A chat model pointed at the scripted server, without retries so that a scripted failure shows at once. */
export function scriptedChatModel(baseURL: string): ChatOpenAI {
  return new ChatOpenAI({ apiKey: "test", model: "x", maxRetries: 0, configuration: { baseURL } });
}

/** The messages of a recorded chat request: [{role, content}]. */
export function messagesOf(body: unknown): Array<{ role: string; content: string }> {
  return (body as { messages: Array<{ role: string; content: string }> }).messages;
}
