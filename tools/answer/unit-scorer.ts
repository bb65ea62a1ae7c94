import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { HAND_UNIT_WEIGHTS, UNIT_FEATURES } from "./unit-features.js";

/** The weights `npm run train:answer` learns on the dev split's labelled answer units (a few numbers). */
export const UNIT_SCORER_FILE = fileURLToPath(new URL("../../models/unit-scorer.json", import.meta.url));

const modelSchema = z.object({
  features: z.array(z.string()),
  weights: z.array(z.number().finite()),
  trainedOn: z.string(),
  lambda: z.number().min(0),
});
export type UnitScorerModel = z.infer<typeof modelSchema>;

/**
 * The learnt weights when the model file is there and matches this code's features; else the hand-set ones, with
 * `source` saying why ("stale": the file was learnt for other features; `npm run train:answer` rewrites it, and a
 * test keeps the committed file in step with the code).
 */
export function loadUnitWeights(file = UNIT_SCORER_FILE): { weights: number[]; source: "learned" | "hand" | "stale" } {
  if (!existsSync(file)) return { weights: HAND_UNIT_WEIGHTS, source: "hand" };
  const model = modelSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  if (model.features.join(",") !== UNIT_FEATURES.join(",")) return { weights: HAND_UNIT_WEIGHTS, source: "stale" };
  return { weights: model.weights, source: "learned" };
}
