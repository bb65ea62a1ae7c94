import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import type { Passage } from "./types.js";

/** A versioned prompt file split into its system and user templates. */
export interface PromptTemplate {
  /** The file name without extension, e.g. "answer.v1". */
  version: string;
  system: string;
  user: string;
}

export const ANSWER_PROMPT_FILE = fileURLToPath(new URL("../../prompts/answer.v1.md", import.meta.url));

/** Reads a prompt file: `<!-- system -->` then `<!-- user -->` sections; the leading comment is documentation. */
export function loadPrompt(file: string): PromptTemplate {
  const text = readFileSync(file, "utf8");
  const system = text.split("<!-- system -->")[1]?.split("<!-- user -->")[0];
  const user = text.split("<!-- user -->")[1];
  if (system === undefined || user === undefined) throw new Error(`${file}: needs <!-- system --> and <!-- user --> sections`);
  return { version: basename(file).replace(/\.md$/, ""), system: system.trim(), user: user.trim() };
}

/** A random marker put in the system prompt: seeing it in an answer means the prompt leaked. */
export function newCanary(): string {
  return `GUICHET-CANARY-${randomBytes(6).toString("hex")}`;
}

/** How passages are shown to the model: numbered from 1, title and section path, then the text. */
export function formatPassages(passages: Passage[]): string {
  return passages
    .map((p, i) => {
      const where = [p.chunk.title, ...p.chunk.path].filter(Boolean).join(" > ");
      return `[${i + 1}] ${where}\n${p.chunk.text.trim()}`;
    })
    .join("\n\n");
}

const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);

/** System and user messages of the answer prompt (the user text is substituted last, so it cannot inject placeholders). */
export function answerMessages(
  prompt: PromptTemplate,
  canary: string,
  question: string,
  passages: Passage[],
): Array<{ role: "system" | "user"; content: string }> {
  const user = prompt.user.split("{{question}}").map((part) => fill(part, { passages: formatPassages(passages) })).join(question);
  return [
    { role: "system", content: fill(prompt.system, { canary }) },
    { role: "user", content: user },
  ];
}
