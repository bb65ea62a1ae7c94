import type { GuichetStateType, GuichetUpdate, RefusalReason } from "../graphs/state.js";

const MESSAGES: Record<RefusalReason, string> = {
  empty: "Veuillez poser une question (le texte reçu est vide).",
  too_long: "Votre question est trop longue. Merci de la reformuler plus brièvement.",
  control_characters: "Votre question contient des caractères non autorisés. Merci de la reformuler.",
};

/** Answers a refused question with a neutral message and no sources. */
export async function refuse(state: GuichetStateType): Promise<GuichetUpdate> {
  const reason = state.refusal?.reason ?? "empty";
  return { reply: { answer: MESSAGES[reason], citations: [], found: false } };
}
