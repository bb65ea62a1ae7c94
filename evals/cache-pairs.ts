import { readFileSync } from "node:fs";
import { z } from "zod";

const PairSchema = z.object({
  id: z.string().min(1),
  a: z.string().min(1),
  b: z.string().min(1),
  same: z.boolean(),
  kind: z.string().min(1),
  split: z.enum(["dev", "test"]),
});
export type CachePair = z.infer<typeof PairSchema>;

export function loadCachePairs(file: string): CachePair[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      const parsed = PairSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
      return parsed.data;
    });
}

export interface PairScore {
  pair: CachePair;
  similarity: number;
}

export interface ThresholdFigures {
  threshold: number;
  paraphrases: number;
  hits: number;
  nearMisses: number;
  falseHits: number;
}

/** Hits on paraphrases and false hits on near-misses at one threshold. */
export function figuresAt(scores: PairScore[], threshold: number): ThresholdFigures {
  const same = scores.filter((s) => s.pair.same);
  const different = scores.filter((s) => !s.pair.same);
  return {
    threshold,
    paraphrases: same.length,
    hits: same.filter((s) => s.similarity >= threshold).length,
    nearMisses: different.length,
    falseHits: different.filter((s) => s.similarity >= threshold).length,
  };
}

/**
 * The lowest threshold (most hits) whose false hits on the near-misses stay at or under `maxFalseHitRate`,
 * among the similarities seen (just above a near-miss's score, so that it is excluded).
 */
export function chooseThreshold(scores: PairScore[], maxFalseHitRate: number): ThresholdFigures {
  const candidates = [...new Set(scores.map((s) => Math.min(1, s.similarity + 1e-6)))].sort((x, y) => x - y);
  for (const threshold of candidates) {
    const figures = figuresAt(scores, threshold);
    if (threshold > 0 && figures.falseHits <= maxFalseHitRate * figures.nearMisses) return figures;
  }
  return figuresAt(scores, 1);
}
