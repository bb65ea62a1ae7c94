import type { Chunk } from "../corpus/chunk.js";
import type { BinaryBm25Meta } from "../tools/search/bm25.js";
import { SearchIndex, type BinarySearchIndexMeta } from "../tools/search/search-index.js";

/** Copy `r` of a fiche or chunk id (copy 0 keeps the original id). */
export function replicaId(id: string, copy: number): string {
  return copy === 0 ? id : `${id}~${copy}`;
}

/**
 * The postings of `factor` copies of every document, in the layout a build over the copied documents makes
 * (copy r of document d is document r·n + d): ids shifted per copy, term frequencies and lengths repeated.
 */
export function replicatePostings(meta: BinaryBm25Meta, data: Int32Array, factor: number): { meta: BinaryBm25Meta; data: Int32Array } {
  const n = meta.docCount;
  const out = new Int32Array(data.length * factor);
  const fields: BinaryBm25Meta["fields"] = {};
  let at = 0;
  for (const [name, field] of Object.entries(meta.fields)) {
    const offsets: number[] = [];
    field.terms.forEach((_, i) => {
      const start = field.offsets[i]!;
      const end = i + 1 < field.offsets.length ? field.offsets[i + 1]! : field.lengthsAt;
      const df = (end - start) / 2;
      offsets.push(at);
      for (let copy = 0; copy < factor; copy++) {
        for (let j = 0; j < df; j++) out[at + copy * df + j] = data[start + j]! + copy * n;
        out.set(data.subarray(start + df, end), at + factor * df + copy * df);
      }
      at += 2 * df * factor;
    });
    const lengthsAt = at;
    for (let copy = 0; copy < factor; copy++) {
      out.set(data.subarray(field.lengthsAt, field.lengthsAt + n), at);
      at += n;
    }
    fields[name] = { terms: field.terms, offsets, lengthsAt };
  }
  return { meta: { docCount: n * factor, fields }, data: out.subarray(0, at) };
}

/**
 * A knowledge base `factor` times the size of `index`: every fiche copied with a changed id (`F1234~2`),
 * as if the copies had been ingested. Built at the postings level, which is exact and takes seconds
 * where re-analysing every copied chunk would take minutes.
 */
export function replicateIndex(index: SearchIndex, factor: number): SearchIndex {
  if (factor === 1) return index;
  const { meta, data } = index.toBinary();
  const chunks: Chunk[] = [];
  for (let copy = 0; copy < factor; copy++) {
    for (const chunk of meta.chunks) {
      chunks.push(copy === 0 ? chunk : { ...chunk, id: replicaId(chunk.id, copy), ficheId: replicaId(chunk.ficheId, copy) });
    }
  }
  const chunkPart = replicatePostings(meta.bm25, meta.ficheIndex ? data.subarray(0, meta.ficheIndex.dataAt) : data, factor);
  const replicated: BinarySearchIndexMeta = { chunks, bm25: chunkPart.meta };
  if (!meta.ficheIndex) return SearchIndex.fromBinary(replicated, chunkPart.data);
  const fichePart = replicatePostings(meta.ficheIndex.meta.bm25, data.subarray(meta.ficheIndex.dataAt), factor);
  const ficheIds = Array.from({ length: factor }, (_, copy) => meta.ficheIndex!.meta.ficheIds.map((id) => replicaId(id, copy))).flat();
  const all = new Int32Array(chunkPart.data.length + fichePart.data.length);
  all.set(chunkPart.data);
  all.set(fichePart.data, chunkPart.data.length);
  return SearchIndex.fromBinary(
    { ...replicated, ficheIndex: { meta: { ficheIds, bm25: fichePart.meta }, dataAt: chunkPart.data.length } },
    all,
  );
}
