import type { FicheIndex } from "./fiche-index.js";
import { reciprocalRankFusion } from "./fusion.js";

/** A fiche the first stage found, with the text a re-ranker may read (title and best passage). */
export interface RerankCandidate {
  ficheId: string;
  text: string;
  /** The fiche's title (for re-rankers that weigh it apart). */
  title?: string;
}

/**
 * A second stage that reorders the first stage's best fiches. Local re-rankers answer synchronously;
 * remote ones (an HTTP endpoint) only asynchronously.
 */
export interface Reranker {
  readonly name: string;
  readonly local: boolean;
  /** Fiche ids, best first; candidates it does not return keep their first-stage order after the others. */
  rerank(question: string, candidates: RerankCandidate[], signal?: AbortSignal): string[] | Promise<string[]>;
}

/** Weight of the whole-fiche ranking against the first stage's in the fusion (chosen on the dev split). */
export const FICHE_RERANK_WEIGHT = 2;

/**
 * Offline re-ranker: fuses the first-stage order with a BM25 ranking of the candidates as whole fiches, so a
 * fiche whose sections together cover the question climbs above one with a single lucky passage.
 */
export class FicheBm25Reranker implements Reranker {
  readonly name = "fiche-bm25";
  readonly local = true;

  constructor(
    private readonly fiches: FicheIndex,
    private readonly rrfK = 60,
  ) {}

  rerank(question: string, candidates: RerankCandidate[]): string[] {
    const firstStage = candidates.map((c) => c.ficheId);
    const numbers = new Map(firstStage.map((id, i) => [id, i]));
    const wholeFiche = this.fiches.rank(question, firstStage).map((id) => numbers.get(id)!);
    return reciprocalRankFusion([firstStage.map((_, i) => i), wholeFiche], this.rrfK, [1, FICHE_RERANK_WEIGHT]).map(
      (hit) => firstStage[hit.doc]!,
    );
  }
}

/** Puts the fiches in the re-ranker's order, then any it left out in their first-stage order. */
export function applyOrder(firstStage: string[], reranked: string[]): string[] {
  const known = new Set(firstStage);
  const seen = new Set<string>();
  const order: string[] = [];
  for (const id of [...reranked, ...firstStage]) {
    if (!known.has(id) || seen.has(id)) continue;
    seen.add(id);
    order.push(id);
  }
  return order;
}
