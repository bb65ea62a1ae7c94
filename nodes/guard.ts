import { ensureConfiguration, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate, RefusalReason } from "../graphs/state.js";

// C0 and C1 controls except tab, line feed and carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Length in characters as the user sees them: composed (NFC) code points, so "é" typed as e + accent counts once. */
export function questionLength(question: string): number {
  return [...question.normalize("NFC")].length;
}

/** Primary language subtag in lower case: "fr-FR" → "fr"; French when none is given. */
export function primaryLanguage(requested: string | undefined): string {
  return requested?.split("-")[0]?.toLowerCase() || "fr";
}

/** Checks the question before anything else reads it; a refusal routes the run to `refuse`. */
export function checkQuestion(question: unknown, maxLength: number): RefusalReason | undefined {
  if (typeof question !== "string" || question.trim() === "") return "empty";
  if (questionLength(question) > maxLength) return "too_long";
  if (CONTROL.test(question)) return "control_characters";
  return undefined;
}

export async function guard(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const { maxQuestionLength } = ensureConfiguration(config);
  const language = primaryLanguage(state.requestedLanguage);
  const reason = checkQuestion(state.question, maxQuestionLength);
  if (reason) return { refusal: { reason }, language };
  return {
    refusal: null,
    language,
    normalizedQuestion: state.question.normalize("NFC").replace(/\s+/g, " ").trim(),
  };
}
