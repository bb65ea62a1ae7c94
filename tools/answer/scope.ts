import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { predictSparse, type SparseVector } from "../learn/sparse-logistic.js";
import { textFeatures } from "../learn/text-features.js";

/** How well the retrieved passages meet the question: what the scope model weighs next to the question's words. */
export interface RetrievalSignals {
  /** Best share of the question's weighted terms found in one retrieved passage (title, headings, text). */
  bestCoverage: number;
  /** Share of the question's weighted terms in the best passage's fiche title. */
  titleCoverage: number;
  /** How many distinct terms of its own the question has (capped at 10). */
  ownTerms: number;
  /** How many of them the best passage holds. */
  matchedTerms: number;
}

/** Features of the scope model: the question's words and word pairs, and the retrieval signals. */
export function scopeFeatures(question: string, signals: RetrievalSignals): SparseVector {
  const features = textFeatures(question, { wordNgrams: 2, charNgrams: [] });
  features.set("num:best_coverage", signals.bestCoverage);
  features.set("num:title_coverage", signals.titleCoverage);
  features.set("num:own_terms", Math.min(signals.ownTerms, 10) / 10);
  features.set("num:matched_share", signals.ownTerms === 0 ? 0 : signals.matchedTerms / signals.ownTerms);
  features.set("num:bias", 1);
  return features;
}

/** The model `npm run train:scope` learns on the dev split: in scope or not, from the words and the retrieval. */
export const SCOPE_MODEL_FILE = fileURLToPath(new URL("../../models/scope.json", import.meta.url));

const modelSchema = z.object({
  classes: z.array(z.string()),
  byClass: z.record(z.string(), z.object({ bias: z.number(), weights: z.record(z.string(), z.number()) })),
  /** Probability of "out_of_scope" from which the question is declined (chosen on dev). */
  threshold: z.number().min(0).max(1),
  trainedOn: z.string(),
  lambda: z.number(),
});
export type ScopeModel = z.infer<typeof modelSchema>;

export function loadScopeModel(file = SCOPE_MODEL_FILE): ScopeModel | null {
  if (!existsSync(file)) return null;
  return modelSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

/** Probability that the question is not about French public services, given what retrieval found. */
export function outOfScopeProbability(model: ScopeModel, question: string, signals: RetrievalSignals): number {
  return predictSparse(model, scopeFeatures(question, signals)).out_of_scope ?? 0;
}
