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
 * The learnt weights when the model file is there and matches this code's features; else the hand-set ones.
 * A file whose features differ is an error (re-run the training), not a silent fallback.
 */
export function loadUnitWeights(file = UNIT_SCORER_FILE): { weights: number[]; source: "learned" | "hand" } {
  if (!existsSync(file)) return { weights: HAND_UNIT_WEIGHTS, source: "hand" };
  const model = modelSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  if (model.features.join(",") !== UNIT_FEATURES.join(",")) {
    throw new Error(`${file}: features ${model.features.join(",")} do not match this code's (${UNIT_FEATURES.join(",")}); re-run npm run train:answer`);
  }
  return { weights: model.weights, source: "learned" };
}
