import { capabilitiesOf } from "../graphs/capabilities.js";
import { contextOf, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import type { CachedAnswer } from "../tools/cache/cached-answer.js";
import { countCacheLookup } from "../tools/cache/metrics.js";
import { detectLanguage } from "../tools/lang/detect.js";
import { primaryLanguage } from "./guard.js";

/**
 * Right after the guard (only redacted, allowed questions get here): a cached answer to this question, or to
 * one close enough, ends the run at once; a miss goes on to `understand` holding the ticket its answer will be
 * stored under. Questions with personal data removed and messages of distress are never looked up nor stored.
 */
export async function cacheLookup(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const update = await lookup(state, config);
  countCacheLookup(update.cacheOutcome?.status ?? "bypass");
  if (update.cacheOutcome?.status === "miss" || update.cacheOutcome?.status === "bypass") await admitLlmWork(config);
  return update;
}

/**
 * A run about to do LLM work takes a slot of the bounded queue first (tools/llm/admission.ts), or is shed with
 * a LoadShedError (503 with Retry-After). Offline runs and cache hits never wait here.
 */
async function admitLlmWork(config: GuichetRunConfig): Promise<void> {
  const capabilities = await capabilitiesOf(config);
  const { held, deadlineAt } = contextOf(config);
  if (!capabilities.llm || !capabilities.llmAdmission || !held) return;
  held.releaseSlot = await capabilities.llmAdmission.admit(deadlineAt);
}

/** In a conversation, the standalone rewrite: a follow-up's own words («et pour un mineur ?») mean nothing alone. */
const askedQuestion = (state: GuichetStateType) => state.understoodAs || state.question;

/** The reply's language is the requested one, else the question's: the key holds what decides it. */
function replyLanguage(state: GuichetStateType): string {
  if (state.requestedLanguage) return primaryLanguage(state.requestedLanguage);
  const detected = detectLanguage(askedQuestion(state)).language;
  return detected === "und" ? "fr" : detected;
}

/** Questions with personal data removed and messages of distress are never looked up nor stored. */
const mayUseCache = (state: GuichetStateType) => state.redacted.length === 0 && !state.distress;

const served = (value: CachedAnswer): GuichetUpdate => ({
  language: value.language,
  reply: { answer: value.answer, citations: value.citations, actions: value.actions, found: value.found },
});

async function lookup(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const cache = (await capabilitiesOf(config)).answerCache;
  const holder = contextOf(config).held;
  if (!cache || !holder || !mayUseCache(state)) return { cacheOutcome: { status: "bypass" } };
  const found = await cache.lookup(askedQuestion(state), replyLanguage(state), config.signal);
  if (found.kind === "miss") {
    holder.ticket = found.ticket;
    return { cacheOutcome: { status: "miss" } };
  }
  return {
    cacheOutcome: found.kind === "semantic" ? { status: "semantic", similarity: found.similarity, question: found.question } : { status: "exact" },
    ...served(found.value),
  };
}

/**
 * The exact layer alone, taking no lock and no queue slot: what graphs/exact-hit.ts asks before starting the
 * graph. Anything but an exact hit leaves the outcome "bypass" and the run to the graph, whose `cache` node
 * looks again with both layers.
 */
export async function cachePeek(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const cache = (await capabilitiesOf(config)).answerCache;
  if (!cache || !mayUseCache(state)) return { cacheOutcome: { status: "bypass" } };
  const found = await cache.peek(askedQuestion(state), replyLanguage(state));
  if (!found) return { cacheOutcome: { status: "bypass" } };
  countCacheLookup("exact");
  return { cacheOutcome: { status: "exact" }, ...served(found.value) };
}

/** A hit is the whole answer; a miss or a bypass goes on to be answered. */
export function routeAfterCache(state: GuichetStateType): "hit" | "miss" {
  return state.cacheOutcome.status === "exact" || state.cacheOutcome.status === "semantic" ? "hit" : "miss";
}
