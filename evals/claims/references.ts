import { z } from "zod";
import { readJsonLines } from "../jsonl.js";

const ReferenceSchema = z.object({
  id: z.string().min(1),
  split: z.string().min(1),
  /** The answer a careful agent would give, written from the gold fiche. */
  reference: z.string().min(1),
  /** Verbatim excerpts of gold-fiche chunks that support every statement of the reference. */
  support: z.array(z.object({ chunk: z.string().regex(/#\d+$/, "must be a chunk id such as F1234#5"), text: z.string().min(1) })).min(1),
});
export type ReferenceAnswer = z.infer<typeof ReferenceSchema>;

/** Reads the reference answers (JSON lines), keyed by question id; fails on a bad line or a duplicate id. */
export function loadReferences(path: string): Map<string, ReferenceAnswer> {
  const seen = new Set<string>();
  const references = readJsonLines(path, ReferenceSchema, (ref) => (seen.has(ref.id) ? `duplicate id ${ref.id}` : void seen.add(ref.id)));
  return new Map(references.map((ref) => [ref.id, ref]));
}

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

/**
 * What is wrong with the references of a split against the index: a support chunk the index does not hold,
 * not of a gold fiche, or whose text does not contain the excerpt. Empty when all hold.
 */
export function supportProblems(
  references: Iterable<ReferenceAnswer>,
  gold: (id: string) => string[] | undefined,
  chunkText: (chunkId: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const ref of references) {
    const fiches = gold(ref.id);
    if (!fiches) {
      problems.push(`${ref.id}: no such question in the ${ref.split} split`);
      continue;
    }
    for (const { chunk, text } of ref.support) {
      const body = chunkText(chunk);
      if (body === undefined) problems.push(`${ref.id}: chunk ${chunk} is not in the index`);
      else if (!fiches.includes(chunk.split("#")[0]!)) problems.push(`${ref.id}: chunk ${chunk} is not of a gold fiche (${fiches.join(", ")})`);
      else if (!squash(body).includes(squash(text))) problems.push(`${ref.id}: the support text is not in chunk ${chunk}`);
    }
  }
  return problems;
}
