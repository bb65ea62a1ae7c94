import { fileURLToPath } from "node:url";
import { BulkheadPolicy } from "cockatiel";
import { z } from "zod";
import { loadPrompt, type PromptTemplate } from "../../tools/answer/prompt.js";
import type { ResilientChat } from "../../tools/llm/chat.js";
import { summarizeUsage, type UsageRecord, type UsageSummary } from "../../tools/llm/usage.js";
import type { ClaimChecker, Verdict } from "./types.js";

const promptFile = (name: string) => fileURLToPath(new URL(`../../prompts/${name}.md`, import.meta.url));
export const CLAIMS_PROMPT = promptFile("claims.v1");
export const ENTAIL_PROMPT = promptFile("entail.v1");

const ClaimsReply = z.object({ claims: z.array(z.string().min(1)) });
const VerdictsReply = z.object({ verdicts: z.array(z.enum(["entailed", "not_entailed"])) });

export interface LlmCheckerOptions {
  /** Further asks after a reply that is not the JSON the prompt wants (a transport error is the resilience layer's). */
  retries?: number;
  /** Calls in flight at once. */
  concurrency?: number;
  claimsPrompt?: PromptTemplate;
  entailPrompt?: PromptTemplate;
}

/** Placeholders filled in one pass: a value that contains `{{…}}` is not filled again. */
const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);

/** The JSON object of a reply, with or without a Markdown code fence around it. */
function jsonOf(text: string): unknown {
  const body = text.trim().replace(/^```(?:json)?\s*/i, "").replace(/\s*```$/, "");
  return JSON.parse(body);
}

/**
 * The LLM judge: the `judge` role splits texts into claims and says which claims a premise entails, with the
 * versioned prompts of `prompts/` (claims.v1, entail.v1). A reply that is not valid JSON of the expected shape
 * (zod) is asked again; after the last retry the call fails. Every call's tokens and cost are kept (`usage()`).
 */
export class LlmClaimChecker implements ClaimChecker {
  readonly name: string;
  private readonly records: UsageRecord[] = [];
  private readonly bulkhead: BulkheadPolicy;
  private readonly retries: number;
  private readonly claimsPrompt: PromptTemplate;
  private readonly entailPrompt: PromptTemplate;
  /** Replies that had to be asked again because they were not the expected JSON. */
  invalidReplies = 0;

  constructor(private readonly chat: ResilientChat, options: LlmCheckerOptions = {}) {
    this.name = `llm:${chat.settings.model}`;
    this.retries = options.retries ?? 2;
    this.bulkhead = new BulkheadPolicy(options.concurrency ?? 4, Number.MAX_SAFE_INTEGER);
    this.claimsPrompt = options.claimsPrompt ?? loadPrompt(CLAIMS_PROMPT);
    this.entailPrompt = options.entailPrompt ?? loadPrompt(ENTAIL_PROMPT);
  }

  async claims(text: string, question: string): Promise<string[]> {
    const reply = await this.ask(this.claimsPrompt, { question, text }, ClaimsReply, () => true);
    return reply.claims.map((c) => c.trim()).filter(Boolean);
  }

  async check(claims: string[], premise: string): Promise<Verdict[]> {
    if (claims.length === 0) return [];
    const numbered = claims.map((claim, i) => `${i + 1}. ${claim}`).join("\n");
    const reply = await this.ask(this.entailPrompt, { premise, claims: numbered }, VerdictsReply, (r) => r.verdicts.length === claims.length);
    return reply.verdicts;
  }

  /** Tokens, cost and model time of every judge call so far. */
  usage(): UsageSummary {
    return summarizeUsage(this.records);
  }

  private async ask<T>(prompt: PromptTemplate, values: Record<string, string>, schema: z.ZodType<T>, complete: (reply: T) => boolean): Promise<T> {
    const messages: Array<{ role: "system" | "user" | "assistant"; content: string }> = [
      { role: "system", content: prompt.system },
      { role: "user", content: fill(prompt.user, values) },
    ];
    for (let attempt = 0; ; attempt++) {
      const result = await this.bulkhead.execute(() => this.chat.invoke(messages, { node: "judge" }));
      this.records.push({ ...result.usage, prompt: prompt.version });
      const problem = this.problemOf(result.text, schema, complete);
      if (typeof problem !== "string") return problem.value;
      if (attempt >= this.retries) throw new Error(`the judge's reply to ${prompt.version} is not usable after ${attempt + 1} tries: ${problem}`);
      this.invalidReplies += 1;
      messages.push({ role: "assistant", content: result.text }, { role: "user", content: `Réponse inutilisable (${problem}). Réponds uniquement par l'objet JSON demandé.` });
    }
  }

  private problemOf<T>(text: string, schema: z.ZodType<T>, complete: (reply: T) => boolean): string | { value: T } {
    let json: unknown;
    try {
      json = jsonOf(text);
    } catch {
      return "not JSON";
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join(".") || "reply"}: ${i.message}`).join("; ");
    return complete(parsed.data) ? { value: parsed.data } : "one verdict per claim is needed";
  }
}
