import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { FicheIndex } from "./fiche-index.js";
import type { RerankCandidate, Reranker } from "./rerank.js";
import { RERANK_FEATURES, rerankFeatures } from "./rerank-features.js";

/** The weights `npm run train:rerank` learns on the dev split (committed: a few numbers, no corpus text). */
export const RERANK_MODEL_FILE = fileURLToPath(new URL("../../models/rerank-linear.json", import.meta.url));

const modelSchema = z.object({
  features: z.array(z.string()),
  weights: z.array(z.number().finite()),
  trainedOn: z.string(),
  lambda: z.number().min(0),
  candidates: z.number().int().positive(),
});

export type LinearRerankModel = z.infer<typeof modelSchema>;

/** Reads and checks a model file: its features must be exactly those this code computes, in order. */
export function loadRerankModel(file = RERANK_MODEL_FILE): LinearRerankModel {
  const model = modelSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  if (model.features.join(",") !== RERANK_FEATURES.join(",") || model.weights.length !== RERANK_FEATURES.length) {
    throw new Error(`${file}: features ${model.features.join(",")} do not match this code's (${RERANK_FEATURES.join(",")}); re-run npm run train:rerank`);
  }
  return model;
}

/** Score of one candidate: the weighted sum of its features. */
export function linearScore(weights: number[], features: number[]): number {
  let score = 0;
  for (let i = 0; i < weights.length; i++) score += weights[i]! * features[i]!;
  return score;
}

/** Fiche ids ordered by the linear score of their feature rows, best first (ties keep the given order). */
export function orderByScore(weights: number[], ficheIds: string[], rows: number[][]): string[] {
  return ficheIds
    .map((id, i) => ({ id, i, score: linearScore(weights, rows[i]!) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((c) => c.id);
}

/**
 * Offline re-ranker learnt on the dev split: a linear model over what the first stage and the whole fiche say
 * of the question (tools/search/rerank-features.ts), trained with a pairwise logistic loss
 * (evals/train-reranker.ts). Ties keep the first stage's order.
 */
export class LinearReranker implements Reranker {
  readonly name = "learned";
  readonly local = true;

  constructor(
    private readonly fiches: FicheIndex,
    private readonly model: Pick<LinearRerankModel, "weights"> = loadRerankModel(),
  ) {}

  rerank(question: string, candidates: RerankCandidate[]): string[] {
    const rows = rerankFeatures(question, candidates, this.fiches);
    return orderByScore(
      this.model.weights,
      candidates.map((c) => c.ficheId),
      rows,
    );
  }
}
