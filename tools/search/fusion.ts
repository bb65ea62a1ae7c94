/** Default constant of Reciprocal Rank Fusion (Cormack, Clarke and Büttcher, 2009). */
export const DEFAULT_RRF_K = 60;

/**
 * Reciprocal Rank Fusion: each document scores Σ w / (k + rank) over the ranked lists it appears in
 * (ranks from 1; w the list's weight, 1 by default). Only ranks matter, so scores of different kinds
 * (BM25, cosine) need no calibration. Returns documents best first; ties keep the order of first appearance.
 */
export function reciprocalRankFusion(
  lists: number[][],
  k = DEFAULT_RRF_K,
  weights: number[] = [],
): Array<{ doc: number; score: number }> {
  const scores = new Map<number, number>();
  lists.forEach((list, l) => {
    const weight = weights[l] ?? 1;
    list.forEach((doc, index) => scores.set(doc, (scores.get(doc) ?? 0) + weight / (k + index + 1)));
  });
  return [...scores].map(([doc, score]) => ({ doc, score })).sort((a, b) => b.score - a.score);
}
