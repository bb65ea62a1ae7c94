import { capabilitiesOf } from "../graphs/capabilities.js";
import { contextOf, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { detectLanguage } from "../tools/lang/detect.js";
import { primaryLanguage } from "./guard.js";

/**
 * Right after the guard (only redacted, allowed questions get here): a cached answer to this question, or to
 * one close enough, ends the run at once; a miss goes on to `understand` holding the ticket its answer will be
 * stored under. Questions with personal data removed and messages of distress are never looked up nor stored.
 */
export async function cacheLookup(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const cache = (await capabilitiesOf(config)).answerCache;
  const holder = contextOf(config).cacheTicket;
  if (!cache || !holder || state.redacted.length > 0 || state.distress) return { cacheOutcome: { status: "bypass" } };
  const question = state.question;
  // The reply's language is the requested one, else the question's: the key holds what decides it.
  const detected = detectLanguage(question).language;
  const language = state.requestedLanguage ? primaryLanguage(state.requestedLanguage) : detected === "und" ? "fr" : detected;
  const found = await cache.lookup(question, language, config.signal);
  if (found.kind === "miss") {
    holder.ticket = found.ticket;
    return { cacheOutcome: { status: "miss" } };
  }
  const { value } = found;
  return {
    cacheOutcome: found.kind === "semantic" ? { status: "semantic", similarity: found.similarity, question: found.question } : { status: "exact" },
    language: value.language,
    reply: { answer: value.answer, citations: value.citations, actions: value.actions, found: value.found },
  };
}

/** A hit is the whole answer; a miss or a bypass goes on to be answered. */
export function routeAfterCache(state: GuichetStateType): "hit" | "miss" {
  return state.cacheOutcome.status === "exact" || state.cacheOutcome.status === "semantic" ? "hit" : "miss";
}
