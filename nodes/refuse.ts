import type { GuichetStateType, GuichetUpdate, RefusalReason } from "../graphs/state.js";

const MESSAGES: Record<RefusalReason, string> = {
  empty: "Veuillez poser une question (le texte reçu est vide).",
  too_long: "Votre question est trop longue. Merci de la reformuler plus brièvement.",
  control_characters: "Votre question contient des caractères non autorisés. Merci de la reformuler.",
  injection:
    "Je ne peux pas répondre à cette demande. Je réponds aux questions sur les démarches administratives en France : " +
    "n'hésitez pas à reformuler votre question.",
  harm:
    "Je ne peux pas répondre à ce message. Si vous avez une question sur une démarche administrative, " +
    "je serai heureux de vous aider.",
  fraud:
    "Je ne peux pas aider à cette demande. Je peux en revanche vous expliquer les règles qui s'appliquent " +
    "et les démarches prévues pour votre situation.",
  out_of_scope:
    "Cette question ne relève pas des démarches administratives françaises auxquelles je peux répondre. " +
    "Pour vos démarches, consultez service-public.fr ou rendez-vous dans un espace France Services près de chez vous.",
};

/** Answers a refused question with a neutral message and no sources. */
export async function refuse(state: GuichetStateType): Promise<GuichetUpdate> {
  const reason = state.refusal?.reason ?? "empty";
  return { reply: { answer: MESSAGES[reason], citations: [], found: false, actions: [] } };
}
