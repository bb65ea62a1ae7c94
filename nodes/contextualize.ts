import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { rewriteFollowUp } from "../tools/threads/follow-up.js";

/**
 * Runs of a thread only, right after the guard: a follow-up («et pour un mineur ?») becomes a standalone question
 * from the conversation, by rules. Everything after reads the standalone question, so a follow-up is cached
 * under it and never under its own words.
 */
export function contextualize(state: GuichetStateType): GuichetUpdate {
  const previous = state.turns.at(-1)?.understood_as;
  const { standalone } = rewriteFollowUp(state.question, previous);
  return { understoodAs: standalone, normalizedQuestion: standalone };
}
