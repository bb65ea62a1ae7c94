import { Send } from "@langchain/langgraph";
import { capabilitiesOf, chatModelOf } from "../graphs/capabilities.js";
import { llmCallOptions, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import type { UsageRecord } from "../tools/llm/usage.js";
import { planWithModel } from "../tools/plan/llm-split.js";
import { mightBeMultiPart, splitQuestion } from "../tools/plan/split.js";

/**
 * Decides whether the question has several parts and splits it (part of the `understand` node, so that a
 * simple question costs no graph step of its own). Only full French questions are planned (glossary keywords
 * have lost their structure). A question the cheap rules see as simple never reaches the plan model; when the
 * model fails or replies badly, the rules decide.
 */
export async function plan(
  state: Pick<GuichetStateType, "normalizedQuestion" | "questionTranslation">,
  config: GuichetRunConfig,
): Promise<GuichetUpdate> {
  const question = state.normalizedQuestion;
  if (state.questionTranslation === "glossary" || state.questionTranslation === "apertium" || !mightBeMultiPart(question)) return { subQuestions: [] };
  const model = chatModelOf(await capabilitiesOf(config), "plan");
  let parts: string[];
  const degradations: string[] = [];
  const usage: UsageRecord[] = [];
  if (model) {
    try {
      const planned = await planWithModel(model, question, llmCallOptions(config));
      parts = planned.parts;
      if (planned.usage) usage.push(planned.usage);
    } catch {
      degradations.push("llm_unavailable");
      parts = splitQuestion(question);
    }
  } else parts = splitQuestion(question);
  return { subQuestions: parts.length > 1 ? parts : [], degradations, ...(usage.length > 0 ? { usage } : {}) };
}

/** What a retrieve_part branch receives: the run's state and its own sub-question. */
export type PartInput = GuichetStateType & { partIndex: number; partQuestion: string };

/** After `understand`: one retrieve_part branch per sub-question, run in parallel, or the single retrieval. */
export function routeAfterPlan(state: GuichetStateType): "retrieve" | Send[] {
  if (state.subQuestions.length < 2) return "retrieve";
  return state.subQuestions.map(
    (partQuestion, partIndex) => new Send("retrieve_part", { ...state, partIndex, partQuestion } satisfies PartInput),
  );
}
