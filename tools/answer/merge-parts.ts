import type { PartPassages } from "../../graphs/state.js";
import type { Answerer, Citation, Passage, Reply } from "./types.js";

/** Passages of every part, in part order, each chunk once. */
export function mergePassages(parts: PartPassages[]): Passage[] {
  const seen = new Set<string>();
  const merged: Passage[] = [];
  for (const part of [...parts].sort((a, b) => a.index - b.index)) {
    for (const passage of part.passages) {
      if (seen.has(passage.chunk.id)) continue;
      seen.add(passage.chunk.id);
      merged.push(passage);
    }
  }
  return merged;
}

/**
 * Answers each sub-question over its own passages and joins the answers under the sub-questions as headings,
 * so every part that has an answer cites its own fiches. Citations are numbered once across parts (one number
 * per fiche).
 */
export async function answerParts(answerer: Answerer, parts: PartPassages[]): Promise<Reply> {
  const ordered = [...parts].sort((a, b) => a.index - b.index);
  const replies = await Promise.all(ordered.map((part) => answerer.answer(part.question, part.passages)));
  const citations: Citation[] = [];
  const numberOf = new Map<string, number>();
  const sections = replies.map((reply, i) => {
    const renumber = new Map<number, number>();
    for (const citation of reply.citations) {
      let n = numberOf.get(citation.id);
      if (n === undefined) {
        n = citations.length + 1;
        numberOf.set(citation.id, n);
        citations.push({ ...citation, n });
      }
      renumber.set(citation.n, n);
    }
    const text = reply.answer.replace(/\[(\d+)\]/g, (marker, n: string) => {
      const to = renumber.get(Number(n));
      return to === undefined ? marker : `[${to}]`;
    });
    return `${i + 1}. ${ordered[i]!.question}\n${text}`;
  });
  return { answer: sections.join("\n\n"), citations, found: replies.some((r) => r.found) };
}
