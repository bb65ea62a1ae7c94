import { createHash } from "node:crypto";
import { SearchIndex } from "../tools/search/search-index.js";
import type { Chunk } from "./chunk.js";
import { chunkFiche } from "./chunker.js";
import { parseFiche } from "./fiche-parser.js";
import type { FicheSource } from "./sources/source.js";

/** Bumped whenever parsing, chunking or analysis changes, so older indexes are rebuilt. */
export const INDEX_FORMAT_VERSION = 4;

export interface IndexManifest {
  formatVersion: number;
  source: { name: string; location: string; fingerprint: string };
  /** sha256 of the chunk texts: changes when the content changes. */
  corpusHash: string;
  counts: { read: number; fiches: number; chunks: number; skipped: number };
  /** Most recent modification date among the fiches (the snapshot's date). */
  snapshotDate: string;
  builtAt: string;
  buildMs: number;
}

export interface SkippedFiche {
  id: string;
  reason: string;
}

export interface BuildResult {
  index: SearchIndex;
  manifest: IndexManifest;
  skipped: SkippedFiche[];
}

export interface BuildOptions {
  onProgress?: (done: number, total: number) => void;
  /** Read only these fiche ids (tests and small builds). */
  only?: Set<string>;
}

/** Reads, parses and chunks every fiche of the source, then builds the BM25 index. */
export function buildIndex(source: FicheSource, options: BuildOptions = {}): BuildResult {
  const started = Date.now();
  const raws = source.list().filter((raw) => !options.only || options.only.has(raw.id));
  const chunks: Chunk[] = [];
  const skipped: SkippedFiche[] = [];
  let fiches = 0;
  let snapshotDate = "";
  raws.forEach((raw, i) => {
    try {
      const fiche = parseFiche(raw.load());
      chunks.push(...chunkFiche(fiche, source.name));
      fiches += 1;
      if (fiche.date > snapshotDate) snapshotDate = fiche.date;
    } catch (error) {
      skipped.push({ id: raw.id, reason: (error as Error).message });
    }
    options.onProgress?.(i + 1, raws.length);
  });
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(`${chunk.id}\u0000${chunk.breadcrumb}\u0000${chunk.text}\u0000`);
  const index = SearchIndex.build(chunks);
  const manifest: IndexManifest = {
    formatVersion: INDEX_FORMAT_VERSION,
    source: { name: source.name, location: source.location, fingerprint: source.fingerprint() },
    corpusHash: hash.digest("hex"),
    counts: { read: raws.length, fiches, chunks: chunks.length, skipped: skipped.length },
    snapshotDate,
    builtAt: new Date().toISOString(),
    buildMs: Date.now() - started,
  };
  return { index, manifest, skipped };
}
