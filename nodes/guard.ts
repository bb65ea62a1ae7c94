import { contextOf, ensureConfiguration, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate, RefusalReason } from "../graphs/state.js";
import { basicCheck, questionLength, type Inspection } from "../tools/guard/inspect.js";
import { inspectRemembered } from "../tools/guard/inspection-memo.js";
import { classifyWithLlm } from "../tools/guard/llm-classifier.js";
import { countAllowed, countBlocked } from "../tools/guard/metrics.js";

export { questionLength };

/** Primary language subtag in lower case: "fr-FR" → "fr"; French when none is given. */
export function primaryLanguage(requested: string | undefined): string {
  return requested?.split("-")[0]?.toLowerCase() || "fr";
}

/** The cheap checks done before any work (kept for callers that only validate). */
export function checkQuestion(question: unknown, maxLength: number): RefusalReason | undefined {
  return basicCheck(question, maxLength);
}

/**
 * The guard's rules (no model): the inspection of the question and the state it leaves for every later step —
 * the redacted question, what was removed, distress, the reply language. Also what graphs/exact-hit.ts runs
 * before the graph.
 */
export function guardRules(
  state: Pick<GuichetStateType, "question" | "requestedLanguage">,
  config: GuichetRunConfig,
): { inspection: Inspection; update: GuichetUpdate } {
  const inspection = inspectRemembered(state.question, ensureConfiguration(config).maxQuestionLength);
  const update = {
    question: inspection.question,
    normalizedQuestion: inspection.question,
    redacted: inspection.redacted,
    distress: inspection.distress,
    language: primaryLanguage(state.requestedLanguage),
  };
  return { inspection, update };
}

/**
 * Runs first: refuses what must not go further, and replaces the question by its redacted form so that no later
 * node, span, log, cache or model ever reads the personal data it contained.
 */
export async function guard(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const { inspection, update } = guardRules(state, config);
  if (inspection.reason) {
    countBlocked(inspection.reason);
    return { ...update, refusal: { reason: inspection.reason } };
  }
  // The rules passed it; a configured model may still refuse it (it only ever sees the redacted question).
  const model = contextOf(config).capabilities?.chatModels?.guard;
  const label = model ? await classifyWithLlm(model, inspection.question, config.signal) : "safe";
  if (label !== null && label !== "safe") {
    countBlocked(label);
    return { ...update, refusal: { reason: label } };
  }
  countAllowed(inspection.redacted);
  return { ...update, refusal: null, ...(label === null ? { degradations: ["guard_llm_unavailable"] } : {}) };
}
