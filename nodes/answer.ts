import { capabilitiesOf } from "../graphs/capabilities.js";
import type { GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { answerParts, mergePassages } from "../tools/answer/merge-parts.js";

/** Writes the reply from the retrieved passages, citing them as [n]; a multi-part question gets one section per part. */
export async function answer(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const { answerer } = await capabilitiesOf(config);
  if (state.parts.length > 1) {
    return { reply: await answerParts(answerer, state.parts), passages: mergePassages(state.parts) };
  }
  const reply = await answerer.answer(state.normalizedQuestion, state.passages);
  return { reply };
}
