import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const promptExists = (version: string) => existsSync(fileURLToPath(new URL(`../../prompts/${version}.md`, import.meta.url)));

/** What a variant changes in the run configuration; anything left out is the deployment's own setting. */
export const VariantConfigSchema = z
  .object({
    retrieval: z.enum(["bm25", "hybrid", "dense"]).optional(),
    top_k: z.number().int().min(1).max(50).optional(),
    rrf_k: z.number().int().min(1).max(1000).optional(),
    rerank: z.enum(["none", "fiche", "learned"]).optional(),
    answerer: z.enum(["extractive", "llm"]).optional(),
    /** An answer prompt file of prompts/ by its version, e.g. "answer.v1". */
    prompt: z
      .string()
      .regex(/^answer\.v\d+$/, 'must be an answer prompt version such as "answer.v1"')
      .refine(promptExists, { message: "no such file in prompts/" })
      .optional(),
    cache: z.boolean().optional(),
  })
  .strict();
export type VariantConfig = z.infer<typeof VariantConfigSchema>;

const ExperimentSchema = z.object({
  /** Named in metrics and reports; changing it reshuffles who gets which variant. */
  experiment: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be lower-case letters, digits, - or _"),
  variants: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "variant names must be lower-case letters, digits, - or _ (at most 32)"),
      z.object({ weight: z.number().min(0), description: z.string().optional(), config: VariantConfigSchema }).strict(),
    )
    .refine((v) => Object.keys(v).length > 0, { message: "at least one variant" })
    .refine((v) => Object.values(v).some((x) => x.weight > 0), { message: "at least one variant needs a weight above 0" }),
});
export type Experiment = z.infer<typeof ExperimentSchema>;

/** Reads and checks an experiment file; a bad file stops start-up with what is wrong in it. */
export function loadExperiment(file: string): Experiment {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: cannot read the experiment (${(error as Error).message})`, { cause: error });
  }
  const parsed = ExperimentSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "file"}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/**
 * The variant of a unit (a thread id, else the caller's API key name): a hash of the experiment and the unit
 * mapped onto the weights, so a unit keeps its variant across requests and instances, and the split follows the
 * weights. Variants of weight 0 are never assigned (they exist for offline comparisons).
 */
export function assignVariant(experiment: Experiment, unit: string): string {
  const digest = createHash("sha256").update(`${experiment.experiment}\n${unit}`).digest();
  const point = digest.readUInt32BE(0) / 2 ** 32;
  const entries = Object.entries(experiment.variants).filter(([, v]) => v.weight > 0);
  const total = entries.reduce((sum, [, v]) => sum + v.weight, 0);
  let cumulative = 0;
  for (const [name, v] of entries) {
    cumulative += v.weight / total;
    if (point < cumulative) return name;
  }
  return entries.at(-1)![0];
}
