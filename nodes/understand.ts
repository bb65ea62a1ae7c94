import { capabilitiesOf, chatModelOf } from "../graphs/capabilities.js";
import { llmCallOptions, type GuichetRunConfig } from "../graphs/configuration.js";
import { mergeUpdates, type GuichetStateType, type GuichetUpdate } from "../graphs/state.js";
import type { UsageRecord } from "../tools/llm/usage.js";
import { detectLanguage } from "../tools/lang/detect.js";
import { translateWithModel } from "../tools/lang/llm-translate.js";
import { offlineFrench } from "../tools/lang/offline-french.js";
import { plan } from "./plan.js";
import { classifyQuestion } from "../tools/answer/question-class.js";

/**
 * Reads the question before retrieval, in one graph step (each step costs the runtime about half a
 * millisecond): its language, its French form, what it asks for (amount, delay, documents…) and its parts
 * (see `plan`).
 */
export async function understand(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const language = await readLanguage(state, config);
  const questionClass = classifyQuestion(language.normalizedQuestion ?? state.normalizedQuestion).questionClass;
  return mergeUpdates({ ...language, questionClass }, await plan({ ...state, ...language }, config));
}

/**
 * Detects the question's language and brings a non-French question into French for retrieval: with the
 * translate model when one is configured (falling back to the offline path when it fails), else offline: the
 * glossary, the FreeDict word lists and Apertium where installed.
 * The reply's language is the one asked for, or the question's.
 */
async function readLanguage(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const detected = detectLanguage(state.normalizedQuestion).language;
  const questionLanguage = detected === "und" ? "fr" : detected;
  const language = state.requestedLanguage ? state.language : questionLanguage;
  if (questionLanguage === "fr") return { questionLanguage, language, questionTranslation: "none" };

  const model = chatModelOf(await capabilitiesOf(config), "translate");
  const degradations: string[] = [];
  if (model) {
    try {
      const usage: UsageRecord[] = [];
      const french = await translateWithModel(model, state.normalizedQuestion, questionLanguage, "fr", {
        ...llmCallOptions(config),
        onUsage: (record) => usage.push({ ...record, node: "understand" }),
      });
      return { questionLanguage, language, normalizedQuestion: french, questionTranslation: "llm", usage };
    } catch {
      degradations.push("llm_unavailable");
    }
  }
  const offline = await offlineFrench(state.normalizedQuestion, questionLanguage, await capabilitiesOf(config));
  return { questionLanguage, language, normalizedQuestion: offline.query, questionTranslation: offline.via, degradations };
}
