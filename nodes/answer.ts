import { capabilitiesOf } from "../graphs/capabilities.js";
import type { GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { answerParts, mergePassages } from "../tools/answer/merge-parts.js";

/** Writes the reply from the retrieved passages, citing them as [n]; a multi-part question gets one section per part. */
export async function answer(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const { answerer } = await capabilitiesOf(config);
  // Only this run's parts: a thread's state may still hold those of an earlier question.
  const parts = state.parts.filter((p) => state.subQuestions[p.index] === p.question);
  if (state.subQuestions.length > 1 && parts.length > 1) {
    return { reply: await answerParts(answerer, parts), passages: mergePassages(parts) };
  }
  const reply = await answerer.answer(state.normalizedQuestion, state.passages);
  return { reply };
}
