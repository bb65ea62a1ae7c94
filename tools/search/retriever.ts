import type { Chunk } from "../../corpus/chunk.js";
import type { DenseIndex } from "./dense-index.js";
import type { LsaEmbeddings } from "./embeddings/lsa.js";
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

/** The dense leg: an embedding model that embeds queries synchronously, and the vectors' index. */
export interface DenseLeg {
  embeddings: Pick<LsaEmbeddings, "embedText" | "name">;
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

  search(question: string, options: RetrieveOptions = {}): SearchHit[] {
    const k = options.k ?? 10;
    if (k <= 0) return [];
    const accept = chunkFilter(this.chunks, options);
    const mode = this.effectiveMode(options.mode);
    const n = Math.max(this.options.candidates, k * 20);
    const lexical = mode === "dense" ? [] : this.lexical.candidates(question, n, accept);
    const dense = mode === "bm25" ? [] : this.denseCandidates(question, n, accept);
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

  /** Distinct fiche ids in rank order (for evaluation by fiche). */
  rankFiches(question: string, k = 10, mode?: RetrievalMode): string[] {
    return this.search(question, { k, maxPerFiche: 1, ...(mode ? { mode } : {}) }).map((hit) => hit.chunk.ficheId);
  }

  termWeight(term: string): number {
    return this.lexical.termWeight(term);
  }

  private denseCandidates(question: string, n: number, accept?: (doc: number) => boolean) {
    const vector = this.dense!.embeddings.embedText(question);
    if (!vector.some((x) => x !== 0)) return [];
    const hits = this.dense!.index.search(vector, accept ? n * 3 : n);
    return (accept ? hits.filter((h) => accept(h.doc)) : hits).slice(0, n);
  }
}
