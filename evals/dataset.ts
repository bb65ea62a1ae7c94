import { z } from "zod";
import { QUESTION_CLASSES } from "../tools/answer/question-class.js";
import { readJsonLines } from "./jsonl.js";

const EvalItemSchema = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  gold: z.array(z.string()),
  facts: z.array(z.string()).optional(),
  style: z.string().optional(),
  lang: z.string().optional(),
  audience: z.string().optional(),
  /** What the question asks for (tools/answer/question-class.ts), labelled by hand. */
  class: z.enum(QUESTION_CLASSES).optional(),
  /** The sentence or list line of a gold fiche that answers the question, verbatim (null: no unit answers it). */
  unit: z.string().nullable().optional(),
  /** Out-of-scope questions: what they are about (weather, sport, …); in-scope look-alikes: what they resemble. */
  topic: z.string().optional(),
});

/** One question of an eval set; `gold: []` marks an out-of-scope question the assistant should decline. */
export type EvalItem = z.infer<typeof EvalItemSchema>;

/** Reads a JSON-lines dataset; fails with the line number of the first bad line. Extra fields are ignored. */
export function loadDataset(path: string): EvalItem[] {
  const items = readJsonLines(path, EvalItemSchema);
  if (items.length === 0) throw new Error(`${path}: no questions`);
  return items;
}
