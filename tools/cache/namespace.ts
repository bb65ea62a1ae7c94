import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Bumped when the shape of a cached answer changes: older entries are then never read again. */
export const CACHE_FORMAT = 1;

const MODELS_DIR = fileURLToPath(new URL("../../models/", import.meta.url));

/** A digest of the learnt models the offline answerer reads (a retrained model changes its answers). */
export function offlineModelsDigest(dir = MODELS_DIR): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) hash.update(file).update(readFileSync(`${dir}${file}`));
  return hash.digest("hex").slice(0, 12);
}

export interface NamespaceParts {
  /** The index's corpus version (manifest): a new snapshot makes every older entry unreachable at once. */
  corpusVersion: string;
  /** "extractive:<models digest>" or "llm:<answer model>:<prompt version>:<translate model>". */
  answerer: string;
  /** Retrieval settings that change what is found (mode, top-k, per-fiche cap, re-ranker). */
  retrieval: Record<string, unknown>;
}

/** Everything an answer depends on besides the question and the language, as one short digest. */
export function cacheNamespace(parts: NamespaceParts): string {
  const text = JSON.stringify({ format: CACHE_FORMAT, ...parts });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
