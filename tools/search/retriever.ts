import type { Chunk } from "../../corpus/chunk.js";
import type { DenseHit, DenseIndex } from "./dense-index.js";
import { DEFAULT_RRF_K, reciprocalRankFusion } from "./fusion.js";
import { chunkFilter, groupByFiche, type SearchHit, type SearchIndex, type SearchOptions } from "./search-index.js";

export type RetrievalMode = "bm25" | "dense" | "hybrid";
export const RETRIEVAL_MODES: RetrievalMode[] = ["bm25", "dense", "hybrid"];

export interface RetrieverOptions {
  mode: RetrievalMode;
  /** Constant k of Reciprocal Rank Fusion. */
  rrfK: number;
  /** Candidates taken from each leg before fusion. */
  candidates: number;
  /** Weight of the dense leg in the fusion (the BM25 leg weighs 1). */
  denseWeight: number;
}

export const DEFAULT_RETRIEVER_OPTIONS: RetrieverOptions = {
  mode: "hybrid",
  rrfK: DEFAULT_RRF_K,
  candidates: 100,
  // Tuned on the dev split: the offline LSA leg helps recall but is a weaker ranker than BM25.
  denseWeight: 0.3,
};

/**
 * The dense leg: a query embedder and the vectors' index. A local model (LSA) embeds synchronously; a
 * remote one (an /embeddings endpoint) only asynchronously, through `searchAsync`.
 */
export interface DenseLeg {
  embeddings: {
    name: string;
    embedText?: (text: string) => Float32Array;
    embedQuery?: (text: string) => Promise<Float32Array | number[]>;
  };
  index: DenseIndex;
}

export interface RetrieveOptions extends SearchOptions {
  mode?: RetrievalMode;
}

/**
 * Hybrid retrieval: BM25 candidates and dense candidates fused by Reciprocal Rank Fusion, then grouped
 * so that one fiche does not fill the top-k. Without a dense leg every mode falls back to BM25.
 */
export class Retriever {
  readonly options: RetrieverOptions;

  constructor(
    readonly lexical: SearchIndex,
    readonly dense?: DenseLeg,
    options: Partial<RetrieverOptions> = {},
  ) {
    this.options = { ...DEFAULT_RETRIEVER_OPTIONS, ...options };
  }

  get chunks(): Chunk[] {
    return this.lexical.chunks;
  }

  /** Mode actually used: a dense or hybrid request without a dense leg runs BM25. */
  effectiveMode(mode: RetrievalMode = this.options.mode): RetrievalMode {
    return this.dense ? mode : "bm25";
  }

  /** Retrieval with a local dense leg (or none). */
  search(question: string, options: RetrieveOptions = {}): SearchHit[] {
    const mode = this.effectiveMode(options.mode);
    if (mode === "bm25") return this.fuse(question, options, mode, []);
    const embeddings = this.dense!.embeddings;
    if (!embeddings.embedText) throw new Error(`the ${embeddings.name} embeddings are remote: use searchAsync`);
    return this.fuse(question, options, mode, this.denseCandidates(embeddings.embedText(question), options));
  }

  /** Retrieval with any dense leg, local or remote. */
  async searchAsync(question: string, options: RetrieveOptions = {}): Promise<SearchHit[]> {
    const mode = this.effectiveMode(options.mode);
    if (mode === "bm25") return this.fuse(question, options, mode, []);
    const embeddings = this.dense!.embeddings;
    const vector = embeddings.embedText ? embeddings.embedText(question) : await embeddings.embedQuery!(question);
    return this.fuse(question, options, mode, this.denseCandidates(vector, options));
  }

  /** Distinct fiche ids in rank order (for evaluation by fiche). */
  rankFiches(question: string, k = 10, mode?: RetrievalMode): string[] {
    return this.search(question, { k, maxPerFiche: 1, ...(mode ? { mode } : {}) }).map((hit) => hit.chunk.ficheId);
  }

  async rankFichesAsync(question: string, k = 10, mode?: RetrievalMode): Promise<string[]> {
    const hits = await this.searchAsync(question, { k, maxPerFiche: 1, ...(mode ? { mode } : {}) });
    return hits.map((hit) => hit.chunk.ficheId);
  }

  private candidateCount(options: RetrieveOptions): number {
    return Math.max(this.options.candidates, (options.k ?? 10) * 20);
  }

  private fuse(question: string, options: RetrieveOptions, mode: RetrievalMode, dense: DenseHit[]): SearchHit[] {
    const k = options.k ?? 10;
    if (k <= 0) return [];
    const lexical =
      mode === "dense" ? [] : this.lexical.candidates(question, this.candidateCount(options), chunkFilter(this.chunks, options));
    const ranked =
      mode === "hybrid"
        ? reciprocalRankFusion([lexical.map((h) => h.doc), dense.map((h) => h.doc)], this.options.rrfK, [
            1,
            this.options.denseWeight,
          ])
        : mode === "dense"
          ? dense
          : lexical;
    return groupByFiche(ranked, this.chunks, k, options.maxPerFiche ?? 2);
  }

  termWeight(term: string): number {
    return this.lexical.termWeight(term);
  }

  private denseCandidates(vector: Float32Array | number[], options: RetrieveOptions): DenseHit[] {
    if ((options.k ?? 10) <= 0 || !vector.some((x) => x !== 0)) return [];
    const n = this.candidateCount(options);
    const accept = chunkFilter(this.chunks, options);
    const hits = this.dense!.index.search(vector, accept ? n * 3 : n);
    return (accept ? hits.filter((h) => accept(h.doc)) : hits).slice(0, n);
  }
}
