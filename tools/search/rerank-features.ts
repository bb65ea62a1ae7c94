import { analyze } from "./analyzer.js";
import type { FicheIndex } from "./fiche-index.js";
import type { RerankCandidate } from "./rerank.js";

/**
 * What the learned re-ranker weighs for each candidate fiche. Every feature is computed offline from the
 * index; none depends on the first stage's score scale, so the same weights serve BM25 and hybrid first stages.
 */
export const RERANK_FEATURES = [
  /** −ln(1 + rank) in the first stage's order. */
  "firstStageRank",
  /** Whole-fiche BM25 score over the best candidate's. */
  "ficheScore",
  /** −ln(1 + rank) by whole-fiche BM25 among the candidates (unmatched: as if last). */
  "ficheRank",
  /** Share of the question's terms (weighted by rarity) in the fiche's title. */
  "queryInTitle",
  /** The same share over the whole fiche. */
  "queryInFiche",
  /** Share of the title's terms the question holds (a title about "mineur" for a question that never says it scores less). */
  "titleCovered",
] as const;

export type RerankFeature = (typeof RERANK_FEATURES)[number];

/** One row of features per candidate, in `RERANK_FEATURES` order. */
export function rerankFeatures(question: string, candidates: RerankCandidate[], fiches: FicheIndex): number[][] {
  const query = fiches.queryOf(question);
  const evidence = fiches.evidence(
    query,
    candidates.map((c) => c.ficheId),
  );
  const best = Math.max(0, ...[...evidence.values()].map((e) => e.score));
  // 0 − ln(1 + rank): the top rank is 0 (not −0).
  const fromRank = (rank: number) => 0 - Math.log1p(rank);
  const last = fromRank(candidates.length);
  return candidates.map((candidate, rank) => {
    const found = evidence.get(candidate.ficheId);
    const title = analyze(candidate.title ?? candidate.text.split("\n")[0] ?? "");
    const row: Record<RerankFeature, number> = {
      firstStageRank: fromRank(rank),
      ficheScore: found && best > 0 ? found.score / best : 0,
      ficheRank: found?.rank === undefined ? last : fromRank(found.rank),
      queryInTitle: found?.queryInTitle ?? 0,
      queryInFiche: found?.queryInFiche ?? 0,
      titleCovered: title.length > 0 ? title.filter((t) => query.has(t)).length / title.length : 0,
    };
    return RERANK_FEATURES.map((name) => row[name]);
  });
}
