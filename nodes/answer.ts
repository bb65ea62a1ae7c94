import { capabilitiesOf } from "../graphs/capabilities.js";
import { eventWriter, llmCallOptions, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { LlmUnavailableError } from "../tools/llm/errors.js";

/**
 * Writes the reply from the retrieved passages, citing them as [n]. With an LLM configured, the `answer` role
 * drafts it (checked next by `verify`); without one, or when the LLM is unavailable, the extractive answerer
 * writes it.
 */
export async function answer(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const capabilities = await capabilitiesOf(config);
  const emit = eventWriter(config);
  const extractive = async () => {
    const reply = await capabilities.answerer.answer(state.normalizedQuestion, state.passages);
    emit?.({ type: "token", text: reply.answer });
    return reply;
  };
  const grounded = capabilities.grounded;
  // No passage, nothing to ground an answer on: the extractive "not found" costs no model call.
  if (!grounded || state.passages.length === 0) return { reply: await extractive() };

  let streamed = false;
  try {
    const { draft, usage } = await grounded.draft(state.normalizedQuestion, state.passages, {
      node: "answer",
      ...llmCallOptions(config),
      ...(emit
        ? {
            onToken: (text: string) => {
              streamed = true;
              emit({ type: "token", text });
            },
          }
        : {}),
    });
    return { draft, usage: [usage] };
  } catch (error) {
    if (!(error instanceof LlmUnavailableError)) throw error;
    if (streamed) emit?.({ type: "reset", reason: "llm_unavailable" });
    return { draft: null, reply: await extractive(), degradations: ["llm_unavailable"] };
  }
}
