import { contextOf, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";

/** Runs of a thread only, last: the turn is added to the conversation the checkpointer keeps. */
export function remember(state: GuichetStateType, config: GuichetRunConfig): GuichetUpdate {
  if (!state.reply) return {};
  const cacheKey = contextOf(config).held?.ticket?.key;
  return {
    turns: [
      {
        question: state.question,
        understood_as: state.understoodAs || state.question,
        answer: state.reply.answer,
        citations: state.reply.citations,
        language: state.language,
        at: new Date().toISOString(),
        ...(cacheKey ? { cache_key: cacheKey } : {}),
      },
    ],
  };
}
