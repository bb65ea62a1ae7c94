import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildIndex, type BuildResult } from "../../corpus/build-index.js";
import { npmVddSource } from "../../corpus/sources/npm-vdd.js";
import { buildCapabilities, type Capabilities } from "../../graphs/capabilities.js";
import type { Chunk } from "../../corpus/chunk.js";
import type { Passage } from "../../tools/answer/types.js";

/**
 * The real schema 3.5 fiches shipped in shared/, which sits beside the repository (CI clones the
 * repository next to it); GUICHET_SHARED_DIR overrides the place.
 */
export const FIXTURES_35 = [process.env.GUICHET_SHARED_DIR, resolve(process.cwd(), "../shared"), "/work/shared"]
  .filter((dir): dir is string => Boolean(dir))
  .map((dir) => join(dir, "fixtures", "vosdroits-3.5"))
  .find((dir) => existsSync(dir)) ?? resolve(process.cwd(), "../shared/fixtures/vosdroits-3.5");

/** A fixed subset of the npm snapshot: passport, identity card, Vitale card, driving licence, fines, housing. */
export const SUBSET_IDS = [
  "F34752", "F14929", "F21091", "F14930", "F21092", "F1373", "F21246", "F21247", "F1709", "F14932",
  "F1341", "F1344", "F21089", "F265", "F21742", "F1727", "F1450", "F11534", "F32803", "F31456",
  "F1726", "F19211", "F34796", "F31421", "F33805", "F1364", "F35113",
];

let cached: BuildResult | undefined;

/** Index built once per test file from SUBSET_IDS of the real npm snapshot. */
export function subsetBuild(): BuildResult {
  cached ??= buildIndex(npmVddSource("particuliers"), { only: new Set(SUBSET_IDS) });
  return cached;
}

export function subsetCapabilities(): Capabilities {
  const { index, manifest } = subsetBuild();
  return buildCapabilities({ index, manifest });
}

export function tempDir(prefix = "guichet-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A retrieved passage of a made-up fiche, for tests of the answer checks. */
export function passageOf(ficheId: string, text: string, rank: number): Passage {
  const chunk: Chunk = {
    id: `${ficheId}#${rank}`,
    ficheId,
    title: `Fiche ${ficheId}`,
    path: ["Section"],
    breadcrumb: `Fiche ${ficheId}`,
    text,
    url: `https://www.service-public.fr/particuliers/vosdroits/${ficheId}`,
    audience: "Particuliers",
    theme: "Papiers",
    date: "2024-01-01",
    source: "test",
  };
  return { chunk, score: 1 / rank, rank };
}
