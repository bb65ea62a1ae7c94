import { capabilitiesOf } from "../graphs/capabilities.js";
import { eventWriter, llmCallOptions, type GuichetRunConfig } from "../graphs/configuration.js";
import { mergeUpdates, type GuichetStateType, type GuichetUpdate } from "../graphs/state.js";
import { checkedReply } from "../tools/answer/checked-reply.js";
import { answerFrom, answerParts, mergePassages } from "../tools/answer/merge-parts.js";
import { StreamFilter } from "../tools/answer/stream-filter.js";
import { LlmUnavailableError } from "../tools/llm/errors.js";
import { tracedNode } from "../tools/telemetry/traced-node.js";
import { verify } from "./verify.js";

/**
 * `verify` runs inside the answer node: a step of its own (span, timing, progress events) without the graph
 * step it used to be, which cost the runtime about a millisecond per run.
 */
const verifyStep = tracedNode("verify", verify, (update) => ({ "guichet.citation_count": update.reply?.citations.length ?? 0 }));

/**
 * Writes the reply from the retrieved passages, citing them as [n]; a multi-part question is answered from the
 * passages of every part. With an LLM configured, the `answer` role drafts it and `verify` checks the draft;
 * without one, or when the LLM is unavailable, the extractive answerer writes it (one section per part).
 */
export async function answer(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const update = await write(state, config);
  if (!update.draft) return update;
  return mergeUpdates(update, await verifyStep({ ...state, ...update, draft: update.draft }, config));
}

async function write(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const capabilities = await capabilitiesOf(config);
  const emit = eventWriter(config);
  // Only this run's parts: a thread's state may still hold those of an earlier question.
  const parts = state.parts.filter((p) => state.subQuestions[p.index] === p.question);
  const multiPart = state.subQuestions.length > 1 && parts.length > 1;
  const passages = multiPart ? mergePassages(parts) : state.passages;
  const merged = multiPart ? { passages } : {};
  const extractive = async () => {
    const { answerer } = capabilities;
    // The answerer may read more than the retrieved passages (the rest of the best fiches); the output guard
    // checks its answer against everything it read.
    const { reply, read } = multiPart
      ? await answerParts(answerer, parts)
      : await answerFrom(answerer, state.normalizedQuestion, passages);
    const checked = checkedReply(reply, read);
    emit?.({ type: "token", text: checked.answer });
    return checked;
  };
  const grounded = capabilities.grounded;
  // No passage, nothing to ground an answer on: the extractive "not found" costs no model call.
  if (!grounded || passages.length === 0) return { reply: await extractive(), ...merged };

  let streamed = false;
  // Streamed tokens have not been through `verify` yet: only safe text goes out (see StreamFilter).
  const filter = emit ? new StreamFilter(passages.slice(0, grounded.maxPassages), grounded.canary) : undefined;
  const send = (text: string) => {
    if (text) emit?.({ type: "token", text });
  };
  try {
    const { draft, usage } = await grounded.draft(state.normalizedQuestion, passages, {
      node: "answer",
      ...llmCallOptions(config),
      ...(filter
        ? {
            onToken: (text: string) => {
              streamed = true;
              send(filter.push(text));
            },
          }
        : {}),
    });
    if (filter) send(filter.flush());
    return { draft, usage: [usage], ...merged };
  } catch (error) {
    if (!(error instanceof LlmUnavailableError)) throw error;
    if (streamed) emit?.({ type: "reset", reason: "llm_unavailable" });
    return { draft: null, reply: await extractive(), degradations: ["llm_unavailable"], ...merged };
  }
}
