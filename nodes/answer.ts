import { capabilitiesOf } from "../graphs/capabilities.js";
import type { GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { answerParts, mergePassages } from "../tools/answer/merge-parts.js";
import { checkOutput } from "../tools/guard/output.js";

/** Writes the reply from the retrieved passages, citing them as [n]; a multi-part question gets one section per part. */
export async function answer(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const { answerer } = await capabilitiesOf(config);
  // Only this run's parts: a thread's state may still hold those of an earlier question.
  const parts = state.parts.filter((p) => state.subQuestions[p.index] === p.question);
  const multiPart = state.subQuestions.length > 1 && parts.length > 1;
  const passages = multiPart ? mergePassages(parts) : state.passages;
  const reply = multiPart ? await answerParts(answerer, parts) : await answerer.answer(state.normalizedQuestion, passages);
  const checked = checkOutput(reply.answer, passages, { citations: reply.citations });
  return { reply: { ...reply, answer: checked.text, citations: checked.citations }, ...(multiPart ? { passages } : {}) };
}
