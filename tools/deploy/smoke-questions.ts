import { readFileSync } from "node:fs";
import { z } from "zod";

/** The questions of `npm run smoke`, with what each answer must show (load/smoke-questions.json). */
export const DEFAULT_SMOKE_QUESTIONS = "load/smoke-questions.json";

const ExpectSchema = z
  .object({
    /** true: at least one citation, every URL https; false: none. */
    citations: z.boolean().optional(),
    /** false: answered; a string: refused with that reason. */
    blocked: z.union([z.literal(false), z.string().min(1)]).optional(),
    /** Kinds of personal data the response must list as removed. */
    redacted: z.array(z.string().min(1)).optional(),
    /** Text that must appear nowhere in the response (the personal data itself). */
    absent: z.array(z.string().min(1)).optional(),
  })
  .strict();

const SmokeQuestionSchema = z
  .object({
    id: z.string().regex(/^[\w.-]{1,64}$/, "must be 1 to 64 letters, digits, '.', '_' or '-'"),
    question: z.string().min(1).max(500),
    route: z.enum(["invoke", "stream"]).default("invoke"),
    expect: ExpectSchema,
  })
  .strict();

export type SmokeQuestion = z.infer<typeof SmokeQuestionSchema>;
export type SmokeExpectation = SmokeQuestion["expect"];

/** Reads a questions file's text; the error names the file and the field that is wrong. */
export function parseSmokeQuestions(text: string, source: string): SmokeQuestion[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = z.array(SmokeQuestionSchema).min(1).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    throw new Error(`${source}: ${where}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const q of parsed.data) {
    if (seen.has(q.id)) throw new Error(`${source}: the id "${q.id}" is used twice`);
    seen.add(q.id);
  }
  return parsed.data;
}

export function loadSmokeQuestions(file: string): SmokeQuestion[] {
  return parseSmokeQuestions(readFileSync(file, "utf8"), file);
}
