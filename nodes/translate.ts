import { chatModelOf } from "../graphs/capabilities.js";
import { contextOf, llmCallOptions, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { translateWithModel } from "../tools/lang/llm-translate.js";
import type { UsageRecord } from "../tools/llm/usage.js";
import { translationNotice } from "../tools/lang/notices.js";

/**
 * Brings the reply into the user's language. French passes through. With a translate model, the answer is
 * translated with its citations, amounts, URLs and cited fiche titles kept; without one, or when the
 * translation fails or loses one of them, the French answer goes out after a notice in the user's language
 * and the run is flagged `translation_unavailable`.
 */
export async function translate(state: GuichetStateType, config?: GuichetRunConfig): Promise<GuichetUpdate> {
  if (state.language === "fr" || !state.reply) return {};
  // Only capabilities handed in the context can carry a model; a host without them runs offline.
  const capabilities = contextOf(config).capabilities;
  const model = capabilities ? chatModelOf(capabilities, "translate") : null;
  const degradations = ["translation_unavailable"];
  if (model) {
    try {
      const usage: UsageRecord[] = [];
      const answer = await translateWithModel(model, state.reply.answer, "fr", state.language, {
        titles: state.reply.citations.map((c) => c.title),
        ...llmCallOptions(config),
        onUsage: (record) => usage.push(record),
      });
      return { reply: { ...state.reply, answer }, usage };
    } catch {
      degradations.push("llm_unavailable");
    }
  }
  return {
    reply: { ...state.reply, answer: `${translationNotice(state.language)}\n\n${state.reply.answer}` },
    degradations,
  };
}
