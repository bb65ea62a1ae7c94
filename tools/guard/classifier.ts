import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { bestClass, predictSparse, type SparseVector } from "../learn/sparse-logistic.js";
import { textFeatures } from "../learn/text-features.js";

/** What the learnt guard tells apart: the three refusal families, distress, and everything else. */
export const GUARD_CLASSES = ["injection", "harm", "fraud", "distress", "none"] as const;
export type GuardClass = (typeof GUARD_CLASSES)[number];

/** The model `npm run train:guard` learns on the guard dev split (word pairs and character 4-grams). */
export const GUARD_MODEL_FILE = fileURLToPath(new URL("../../models/guard-classifier.json", import.meta.url));

const modelSchema = z.object({
  classes: z.array(z.enum(GUARD_CLASSES)),
  byClass: z.record(z.string(), z.object({ bias: z.number(), weights: z.record(z.string(), z.number()) })),
  /** Probability from which a class decides, per class (chosen on dev so that legitimate questions pass). */
  thresholds: z.record(z.string(), z.number().min(0).max(1)),
  trainedOn: z.string(),
  lambda: z.number(),
});
export type GuardModel = z.infer<typeof modelSchema>;

export const GUARD_FEATURE_OPTIONS = { wordNgrams: 2, charNgrams: [4] };

/** Features of every detection view of a question (folded, leetspeak undone, decoded payloads), merged. */
export function guardFeatures(views: string[]): SparseVector {
  const merged: SparseVector = new Map();
  for (const view of views) for (const [name, value] of textFeatures(view, GUARD_FEATURE_OPTIONS)) merged.set(name, value);
  return merged;
}

export function loadGuardModel(file = GUARD_MODEL_FILE): GuardModel | null {
  if (!existsSync(file)) return null;
  return modelSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

let defaultModel: GuardModel | null | undefined;

export interface GuardPrediction {
  label: GuardClass;
  probability: number;
  probabilities: Record<string, number>;
}

/**
 * The learnt classifier's verdict on a question's views: the most probable class when it passes its threshold,
 * else "none". Null when no model file is present (the rules alone decide).
 */
export function classifyGuard(views: string[], model?: GuardModel | null): GuardPrediction | null {
  if (model === undefined) {
    defaultModel ??= loadGuardModel();
    model = defaultModel;
  }
  if (!model) return null;
  const probabilities = predictSparse(model, guardFeatures(views));
  const best = bestClass(Object.fromEntries(Object.entries(probabilities).filter(([c]) => c !== "none")));
  const threshold = model.thresholds[best.label] ?? 1;
  const label = (best.probability >= threshold ? best.label : "none") as GuardClass;
  return { label, probability: best.probability, probabilities };
}
