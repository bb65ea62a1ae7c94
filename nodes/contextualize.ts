import { capabilitiesOf, chatModelOf } from "../graphs/capabilities.js";
import { ensureConfiguration, llmCallOptions, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";
import { inspectQuestion } from "../tools/guard/inspect.js";
import { rewriteFollowUp } from "../tools/threads/follow-up.js";
import { rewriteWithModel } from "../tools/threads/llm-follow-up.js";

/** Earlier standalone questions the plan model reads to rewrite a follow-up. */
const HISTORY_TURNS = 3;

const understood = (standalone: string): GuichetUpdate => ({ understoodAs: standalone, normalizedQuestion: standalone });

/**
 * Runs of a thread only, right after the guard: a follow-up («et pour un mineur ?») becomes a standalone question
 * from the conversation — by the `plan` model when one is configured, by rules otherwise or when it fails.
 * Everything after reads the standalone question, so a follow-up is cached under it and never under its own
 * words. The model sees only redacted text (the guard ran first); what it writes is read by the guard's rules
 * too, and a rewrite they would refuse or redact is not taken.
 */
export async function contextualize(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const history = state.turns.map((turn) => turn.understood_as).filter(Boolean).slice(-HISTORY_TURNS);
  const rules = rewriteFollowUp(state.question, history.at(-1));
  const model = history.length > 0 ? chatModelOf(await capabilitiesOf(config), "plan") : null;
  if (!model) return understood(rules.standalone);
  try {
    const { standalone, usage } = await rewriteWithModel(model, state.question, history, llmCallOptions(config));
    const checked = inspectQuestion(standalone, { maxLength: ensureConfiguration(config).maxQuestionLength });
    const taken = checked.reason || checked.redacted.length > 0 ? rules.standalone : checked.question;
    return { ...understood(taken), ...(usage ? { usage: [usage] } : {}) };
  } catch {
    return { ...understood(rules.standalone), degradations: ["llm_unavailable"] };
  }
}
