/**
 * Similarity at or above which a cached answer is served for another wording, chosen on the dev pairs of
 * evals/datasets/cache-pairs.jsonl (`npm run eval:cache`): the lowest threshold whose false hits on dev
 * near-misses stay at or under 1 %.
 */
export const SEMANTIC_THRESHOLD = 0.89;

export interface CacheConfig {
  backend: "memory" | "redis" | "off";
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
  prefix: string;
  /** null: the semantic layer is off (exact hits only). */
  threshold: number | null;
  lockMs: number;
  waitMs: number;
}
