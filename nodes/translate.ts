import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";

/**
 * Brings the reply into the user's language. French passes through unchanged; other languages are
 * handled by a later translator capability, so for now the reply stays French and the state keeps
 * the language the user asked for.
 */
export async function translate(state: GuichetStateType): Promise<GuichetUpdate> {
  if (state.language === "fr" || !state.reply) return {};
  return { degradations: ["translation_unavailable"] };
}
