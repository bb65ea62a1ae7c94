import type { Chunk } from "../../corpus/chunk.js";
import { analyze } from "./analyzer.js";
import { expandQuery } from "./query-expansion.js";
import { Bm25Index, DEFAULT_BM25, type BinaryBm25Meta, type Bm25Params, type SerializedBm25 } from "./bm25.js";
import { chunkFields, type FieldName } from "./chunk-fields.js";
import { FicheIndex, type BinaryFicheIndexMeta } from "./fiche-index.js";
import { SpellingCorrector } from "./spelling.js";

export { chunkFields, type FieldName } from "./chunk-fields.js";

export interface SearchOptions {
  /** Number of chunks returned (top-k). */
  k?: number;
  /** At most this many chunks of one fiche in the results, so one fiche does not fill the top-k. */
  maxPerFiche?: number;
  /** Keep only chunks of these audiences (e.g. "Particuliers"). */
  audience?: string[];
  /** Keep only chunks of these sources (e.g. "vdd-npm", "travail"). */
  source?: string[];
}

export interface SearchHit {
  chunk: Chunk;
  score: number;
  rank: number;
}

export interface SearchConfig {
  weights: Record<FieldName, number>;
  bm25: Bm25Params;
}

export const DEFAULT_SEARCH_CONFIG: SearchConfig = {
  // Tuned on the dev split: the title repeats on every chunk of a fiche, so a small margin over the body is enough.
  weights: { title: 1.2, heads: 1.05, summary: 1, body: 1 },
  bm25: { ...DEFAULT_BM25, b: 0.6 },
};

export interface SerializedSearchIndex {
  chunks: Chunk[];
  bm25: SerializedBm25;
}

export interface BinarySearchIndexMeta {
  chunks: Chunk[];
  bm25: BinaryBm25Meta;
  /** The fiche-level index, its postings stored after the chunks' ones from `dataAt`. */
  ficheIndex?: { meta: BinaryFicheIndexMeta; dataAt: number };
}

/** Keeps chunk numbers whose audience and source are among those asked (none asked: all). */
export function chunkFilter(chunks: Chunk[], options: Pick<SearchOptions, "audience" | "source">): ((doc: number) => boolean) | undefined {
  const audiences = options.audience?.map((a) => a.toLowerCase());
  const sources = options.source?.map((s) => s.toLowerCase());
  if (!audiences && !sources) return undefined;
  return (doc) => {
    const chunk = chunks[doc]!;
    return (
      (!audiences || audiences.includes(chunk.audience.toLowerCase())) &&
      (!sources || sources.includes(chunk.source.toLowerCase()))
    );
  };
}

/** Ranked chunk numbers → hits, at most `maxPerFiche` chunks of one fiche, `k` in all. */
export function groupByFiche(
  scored: Array<{ doc: number; score: number }>,
  chunks: Chunk[],
  k: number,
  maxPerFiche: number,
): SearchHit[] {
  const perFiche = new Map<string, number>();
  const hits: SearchHit[] = [];
  for (const { doc, score } of scored) {
    if (hits.length === k) break;
    const chunk = chunks[doc]!;
    const seen = perFiche.get(chunk.ficheId) ?? 0;
    if (seen >= maxPerFiche) continue;
    perFiche.set(chunk.ficheId, seen + 1);
    hits.push({ chunk, score, rank: hits.length + 1 });
  }
  return hits;
}

/** BM25 search over chunks, with results grouped per fiche. */
export class SearchIndex {
  private constructor(
    readonly chunks: Chunk[],
    readonly bm25: Bm25Index,
    readonly config: SearchConfig,
    /** Whole-fiche BM25, for re-ranking (absent from indexes serialised as JSON). */
    readonly ficheIndex?: FicheIndex,
  ) {
    ficheIndex?.shareSpelling(() => this.spelling);
  }

  static build(chunks: Chunk[], config: SearchConfig = DEFAULT_SEARCH_CONFIG): SearchIndex {
    const docs = chunks.map((chunk) => {
      const fields = chunkFields(chunk);
      return {
        title: analyze(fields.title),
        heads: analyze(fields.heads),
        summary: analyze(fields.summary),
        body: analyze(fields.body),
      };
    });
    return new SearchIndex(chunks, Bm25Index.build(docs), config, FicheIndex.build(chunks));
  }

  static fromJSON(data: SerializedSearchIndex, config: SearchConfig = DEFAULT_SEARCH_CONFIG): SearchIndex {
    return new SearchIndex(data.chunks, Bm25Index.fromJSON(data.bm25), config);
  }

  toJSON(): SerializedSearchIndex {
    return { chunks: this.chunks, bm25: this.bm25.toJSON() };
  }

  /** Disk form: chunks and term lists as JSON, postings as one Int32Array (fast to load, little garbage). */
  toBinary(): { meta: BinarySearchIndexMeta; data: Int32Array } {
    const { meta, data } = this.bm25.toBinary();
    if (!this.ficheIndex) return { meta: { chunks: this.chunks, bm25: meta }, data };
    const fiches = this.ficheIndex.toBinary();
    const all = new Int32Array(data.length + fiches.data.length);
    all.set(data);
    all.set(fiches.data, data.length);
    return { meta: { chunks: this.chunks, bm25: meta, ficheIndex: { meta: fiches.meta, dataAt: data.length } }, data: all };
  }

  static fromBinary(meta: BinarySearchIndexMeta, data: Int32Array, config: SearchConfig = DEFAULT_SEARCH_CONFIG): SearchIndex {
    const fiches = meta.ficheIndex;
    return new SearchIndex(
      meta.chunks,
      Bm25Index.fromBinary(meta.bm25, fiches ? data.subarray(0, fiches.dataAt) : data),
      config,
      fiches ? FicheIndex.fromBinary(fiches.meta, data.subarray(fiches.dataAt)) : undefined,
    );
  }

  get ficheCount(): number {
    return new Set(this.chunks.map((c) => c.ficheId)).size;
  }

  /** Top-k chunks for a question, at most `maxPerFiche` per fiche. */
  search(question: string, options: SearchOptions = {}): SearchHit[] {
    const k = options.k ?? 10;
    if (k <= 0) return [];
    const scored = this.candidates(question, Math.max(k * 20, 200), chunkFilter(this.chunks, options));
    return groupByFiche(scored, this.chunks, k, options.maxPerFiche ?? 2);
  }

  /** BM25 ranking of the chunks (best `limit`), before grouping; `accept` filters chunk numbers. */
  candidates(question: string, limit: number, accept?: (doc: number) => boolean): Array<{ doc: number; score: number }> {
    const query = expandQuery(question, this.spelling);
    if (query.size === 0) return [];
    return this.bm25.search(query, this.config.weights, limit, this.config.bm25, accept);
  }

  private corrector: SpellingCorrector | undefined;

  /** Typo tolerance over this index's terms, built on first use. */
  get spelling(): SpellingCorrector {
    return (this.corrector ??= new SpellingCorrector(this.bm25.vocabulary()));
  }

  /** Distinct fiche ids in rank order (for evaluation by fiche). */
  rankFiches(question: string, k = 10): string[] {
    return this.search(question, { k, maxPerFiche: 1 }).map((hit) => hit.chunk.ficheId);
  }

  /** Whether an analysed term occurs in some chunk body. */
  knows(term: string): boolean {
    return this.bm25.documentFrequency("body", term) > 0;
  }

  /** Inverse document frequency of an analysed term in chunk bodies (used to weigh sentence overlap). */
  termWeight(term: string): number {
    return this.bm25.idf("body", term);
  }
}
