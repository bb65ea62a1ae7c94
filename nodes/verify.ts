import { trace } from "@opentelemetry/api";
import { capabilitiesOf } from "../graphs/capabilities.js";
import { eventWriter, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { checkedReply } from "../tools/answer/checked-reply.js";
import { answerFrom } from "../tools/answer/merge-parts.js";
import { verifyAnswer } from "../tools/answer/verify.js";

/**
 * Checks the LLM's draft against the passages it saw (citations, contact details, canary); a draft with no
 * valid citation is replaced by the extractive answer.
 */
export async function verify(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  if (!state.draft) return {};
  const capabilities = await capabilitiesOf(config);
  const shown = state.passages.slice(0, state.draft.shown);
  const { reply, issues } = verifyAnswer(state.draft.text, shown, {
    ...(capabilities.grounded ? { canary: capabilities.grounded.canary } : {}),
  });
  trace.getActiveSpan()?.setAttributes({
    "guichet.prompt_version": state.draft.promptVersion,
    "guichet.verify.invalid_citations": issues.filter((i) => i.kind === "invalid_citation").length,
    "guichet.verify.masked": issues.filter((i) => i.kind === "masked").length,
    "guichet.verify.canary_leak": issues.some((i) => i.kind === "canary_leak"),
    "guichet.verify.replaced": reply === null,
  });
  if (reply) return { reply, draft: null };
  const emit = eventWriter(config);
  emit?.({ type: "reset", reason: "answer_rejected" });
  const { reply: extractive, read } = await answerFrom(capabilities.answerer, state.normalizedQuestion, state.passages);
  const fallback = checkedReply(extractive, read);
  emit?.({ type: "token", text: fallback.answer });
  return { reply: fallback, draft: null, degradations: ["llm_answer_rejected"] };
}
