import { createHash } from "node:crypto";
import { analyze } from "../tools/search/analyzer.js";
import { DenseIndex } from "../tools/search/dense-index.js";
import { LsaEmbeddings } from "../tools/search/embeddings/lsa.js";
import { chunkFields, SearchIndex } from "../tools/search/search-index.js";
import type { Chunk } from "./chunk.js";
import { chunkFiche } from "./chunker.js";
import type { FicheSource } from "./sources/source.js";

/** Bumped whenever parsing, chunking or analysis changes, so older indexes are rebuilt from scratch. */
export const INDEX_FORMAT_VERSION = 10;

export interface SourceRecord {
  name: string;
  location: string;
  fingerprint: string;
}

export interface IngestCounts {
  /** Fiches listed by the sources. */
  read: number;
  /** Fiches in the index after the build. */
  fiches: number;
  chunks: number;
  skipped: number;
  /** Fiches parsed and chunked during this build (new or changed). */
  processed: number;
  /** Fiches whose content hash was unchanged: their chunks were reused as they were. */
  unchanged: number;
  added: number;
  changed: number;
  /** Fiches of the previous index that no source lists any more. */
  removed: number;
}

export interface IndexManifest {
  formatVersion: number;
  sources: SourceRecord[];
  /** sha256 of the chunk texts: changes when the content changes. */
  corpusHash: string;
  /** Short form of the corpus hash, for cache keys and display. */
  corpusVersion: string;
  counts: IngestCounts;
  /** Most recent modification date among the fiches (the snapshot's date). */
  snapshotDate: string;
  /** The same per source name (`vdd-npm`, `travail`…): sources are snapshots of different days. */
  sourceDates?: Record<string, string>;
  builtAt: string;
  buildMs: number;
}

/** What the index remembers of each fiche, to re-ingest incrementally. */
export interface FicheRecord {
  source: string;
  hash: string;
  date: string;
}

export interface SkippedFiche {
  id: string;
  source: string;
  reason: string;
}

/** The previous build, when there is one: its chunks are reused for fiches whose hash did not change. */
export interface PreviousBuild {
  chunks: Chunk[];
  fiches: Record<string, FicheRecord>;
}

/** The offline dense leg: the LSA model learnt from the chunks and the vectors' HNSW index. */
export interface DenseBuild {
  model: LsaEmbeddings;
  index: DenseIndex;
}

export interface BuildResult {
  index: SearchIndex;
  dense?: DenseBuild;
  manifest: IndexManifest;
  fiches: Record<string, FicheRecord>;
  skipped: SkippedFiche[];
}

export interface BuildOptions {
  onProgress?: (done: number, total: number) => void;
  /** Read only these fiche ids (tests and small builds). */
  only?: Set<string>;
  previous?: PreviousBuild;
  /** Learn the offline dense model and index the vectors (default false). */
  dense?: boolean;
}

/**
 * Reads every fiche of the sources, parses and chunks the new or changed ones (by content hash), reuses
 * the chunks of unchanged ones, drops fiches no source lists any more, and builds the search index.
 * A fiche id already taken by an earlier source is skipped (the same fiche published for two audiences).
 */
export function buildIndex(sources: FicheSource | FicheSource[], options: BuildOptions = {}): BuildResult {
  const started = Date.now();
  const list = Array.isArray(sources) ? sources : [sources];
  const raws = list.flatMap((source) =>
    source
      .list()
      .filter((raw) => !options.only || options.only.has(raw.id))
      .map((raw) => ({ raw, source: source.name })),
  );
  const previousChunks = groupByFiche(options.previous?.chunks ?? []);
  const previousFiches = options.previous?.fiches ?? {};
  const chunks: Chunk[] = [];
  const fiches: Record<string, FicheRecord> = {};
  const skipped: SkippedFiche[] = [];
  const counts = { processed: 0, unchanged: 0, added: 0, changed: 0 };

  raws.forEach(({ raw, source }, i) => {
    try {
      if (fiches[raw.id]) {
        throw new Error(`${raw.id}: already indexed from ${fiches[raw.id]!.source}`);
      }
      const hash = raw.hash();
      const before = previousFiches[raw.id];
      const reusable = before && before.hash === hash && before.source === source && previousChunks.get(raw.id);
      if (reusable) {
        chunks.push(...reusable);
        fiches[raw.id] = before;
        counts.unchanged += 1;
      } else {
        const fiche = raw.load();
        chunks.push(...chunkFiche(fiche, source));
        fiches[raw.id] = { source, hash, date: fiche.date };
        counts.processed += 1;
        if (before) counts.changed += 1;
        else counts.added += 1;
      }
    } catch (error) {
      skipped.push({ id: raw.id, source, reason: (error as Error).message });
    }
    options.onProgress?.(i + 1, raws.length);
  });

  const removed = Object.keys(previousFiches).filter((id) => !fiches[id]).length;
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(`${chunk.id}\u0000${chunk.breadcrumb}\u0000${chunk.text}\u0000`);
  const corpusHash = hash.digest("hex");
  const snapshotDate = Object.values(fiches).reduce((max, f) => (f.date > max ? f.date : max), "");
  const sourceDates: Record<string, string> = {};
  for (const f of Object.values(fiches)) if (f.date > (sourceDates[f.source] ?? "")) sourceDates[f.source] = f.date;
  const manifest: IndexManifest = {
    formatVersion: INDEX_FORMAT_VERSION,
    sources: list.map((s) => ({ name: s.name, location: s.location, fingerprint: s.fingerprint() })),
    corpusHash,
    corpusVersion: corpusHash.slice(0, 12),
    counts: {
      read: raws.length,
      fiches: Object.keys(fiches).length,
      chunks: chunks.length,
      skipped: skipped.length,
      ...counts,
      removed,
    },
    snapshotDate,
    sourceDates,
    builtAt: new Date().toISOString(),
    buildMs: 0,
  };
  const index = SearchIndex.build(chunks);
  const dense = options.dense && chunks.length > 0 ? buildDense(chunks) : undefined;
  manifest.buildMs = Date.now() - started;
  return { index, manifest, fiches, skipped, ...(dense ? { dense } : {}) };
}

/** Text of a chunk as the dense leg sees it: title, headings, summary and body. */
export function denseTerms(chunk: Chunk): string[] {
  const f = chunkFields(chunk);
  return analyze(`${f.title} ${f.heads} ${f.summary} ${f.body}`);
}

/** Learns the LSA model on the chunks (the model is global: any change of content retrains it) and indexes them. */
export function buildDense(chunks: Chunk[]): DenseBuild {
  const terms = chunks.map(denseTerms);
  const model = LsaEmbeddings.train(terms);
  const index = DenseIndex.build(
    terms.map((t) => model.embedTerms(t)),
    model.dimensions,
  );
  return { model, index };
}

function groupByFiche(chunks: Chunk[]): Map<string, Chunk[]> {
  const groups = new Map<string, Chunk[]>();
  for (const chunk of chunks) {
    let group = groups.get(chunk.ficheId);
    if (!group) groups.set(chunk.ficheId, (group = []));
    group.push(chunk);
  }
  return groups;
}

/** True when a build changed nothing compared with the previous index. */
export function nothingChanged(manifest: IndexManifest): boolean {
  const { processed, removed } = manifest.counts;
  return processed === 0 && removed === 0;
}
