import type { PartPassages } from "../../graphs/state.js";
import type { ChunkAction } from "../../corpus/chunk.js";
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
export async function answerParts(answerer: Answerer, parts: PartPassages[]): Promise<{ reply: Reply; read: Passage[] }> {
  const ordered = [...parts].sort((a, b) => a.index - b.index);
  const answered = await Promise.all(ordered.map((part) => answerFrom(answerer, part.question, part.passages)));
  const replies = answered.map((a) => a.reply);
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
  const actions: ChunkAction[] = [];
  for (const action of replies.flatMap((r) => r.actions ?? [])) if (!actions.some((a) => a.url === action.url)) actions.push(action);
  const reply = { answer: sections.join("\n\n"), citations, found: replies.some((r) => r.found), actions };
  return { reply, read: mergePassages(answered.map((a, index) => ({ index, question: ordered[index]!.question, passages: a.read }))) };
}

/** The answerer's reply over the passages it chose to read (the retrieved ones, expanded when it can). */
export async function answerFrom(answerer: Answerer, question: string, passages: Passage[]): Promise<{ reply: Reply; read: Passage[] }> {
  const read = answerer.expand ? answerer.expand(passages) : passages;
  return { reply: await answerer.answer(question, read), read };
}

/** The reply's actions that belong to a cited fiche; when it has none, those of the cited fiches' passages. */
export function actionsOfCited(reply: Reply, passages: Passage[], cited: Set<string>): ChunkAction[] {
  const citedUrls = new Set(passages.filter((p) => cited.has(p.chunk.ficheId)).flatMap((p) => (p.chunk.actions ?? []).map((a) => a.url)));
  const own = (reply.actions ?? []).filter((a) => citedUrls.has(a.url));
  if (reply.actions) return own;
  const out: ChunkAction[] = [];
  for (const p of passages) {
    if (!cited.has(p.chunk.ficheId)) continue;
    for (const a of p.chunk.actions ?? []) if (out.length < 4 && !out.some((o) => o.url === a.url)) out.push(a);
  }
  return out;
}
