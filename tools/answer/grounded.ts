import type { ChatCall, ResilientChat } from "../llm/chat.js";
import type { UsageRecord } from "../llm/usage.js";
import { ANSWER_PROMPT_FILE, answerMessages, loadPrompt, newCanary, type PromptTemplate } from "./prompt.js";
import type { Passage } from "./types.js";

export interface Draft {
  /** The model's text, not yet verified. */
  text: string;
  /** Prompt file version that produced it, e.g. "answer.v1". */
  promptVersion: string;
  /** How many of the retrieved passages the model was shown (numbered 1..shown). */
  shown: number;
}

/** Writes a cited answer with the `answer` role's model from the question and numbered passages only. */
export class GroundedAnswerer {
  readonly canary = newCanary();

  constructor(
    readonly chat: ResilientChat,
    readonly prompt: PromptTemplate = loadPrompt(ANSWER_PROMPT_FILE),
    readonly maxPassages = 8,
  ) {}

  async draft(question: string, passages: Passage[], call: ChatCall): Promise<{ draft: Draft; usage: UsageRecord }> {
    const shown = passages.slice(0, this.maxPassages);
    const { text, usage } = await this.chat.invoke(answerMessages(this.prompt, this.canary, question, shown), call);
    return { draft: { text, promptVersion: this.prompt.version, shown: shown.length }, usage: { ...usage, prompt: this.prompt.version } };
  }
}
