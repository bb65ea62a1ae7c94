import { capabilitiesOf } from "../graphs/capabilities.js";
import type { GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { checkOutput } from "../tools/guard/output.js";

/** Writes the reply from the retrieved passages, citing them as [n]. */
export async function answer(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const reply = await (await capabilitiesOf(config)).answerer.answer(state.normalizedQuestion, state.passages);
  const checked = checkOutput(reply.answer, state.passages, { citations: reply.citations });
  return { reply: { ...reply, answer: checked.text, citations: checked.citations } };
}
