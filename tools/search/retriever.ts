import { withSpan } from "../telemetry/tracing.js";
import type { Chunk } from "../../corpus/chunk.js";
import type { DenseHit, DenseIndex } from "./dense-index.js";
import { DEFAULT_RRF_K, reciprocalRankFusion } from "./fusion.js";
import { expandQuestionText } from "./query-expansion.js";
import { applyOrder, type RerankCandidate, type Reranker } from "./rerank.js";
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
  /** Fiches of the first stage the re-ranker reorders. */
  rerankCandidates: number;
}

export const DEFAULT_RETRIEVER_OPTIONS: RetrieverOptions = {
  mode: "hybrid",
  rrfK: DEFAULT_RRF_K,
  candidates: 100,
  // Tuned on the dev split: the offline LSA leg helps recall but is a weaker ranker than BM25.
  denseWeight: 0.3,
  rerankCandidates: 30,
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
  /** Run the re-ranking stage when the retriever has one (default true). */
  rerank?: boolean;
  /** Told when a stage fails and the retrieval falls back (e.g. "rerank_unavailable"). */
  onDegraded?: (what: string) => void;
  signal?: AbortSignal;
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
    readonly reranker?: Reranker,
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
    const ranked = this.localFirstStage(question, options);
    const reranker = this.rerankerFor(options);
    if (!reranker) return this.finish(ranked, options);
    if (!reranker.local) throw new Error(`the ${reranker.name} re-ranker is remote: use searchAsync`);
    const candidates = this.rerankCandidates(ranked);
    return this.finish(ranked, options, reranker.rerank(question, candidates) as string[], candidates);
  }

  /** Retrieval with any dense leg, local or remote, in a `retrieval` span (GenAI operation `retrieval`). */
  async searchAsync(question: string, options: RetrieveOptions = {}): Promise<SearchHit[]> {
    const mode = this.effectiveMode(options.mode);
    const attributes = {
      "gen_ai.operation.name": "retrieval",
      "gen_ai.data_source.id": "guichet-index",
      "guichet.retrieval.mode": mode,
      "guichet.retrieval.k": options.k ?? 10,
      "guichet.reranker": this.rerankerFor(options)?.name ?? "none",
    };
    return withSpan("retrieval", attributes, async (span) => {
      const hits = await this.retrieve(question, options, mode);
      span.setAttribute("guichet.passage_ids", hits.map((h) => h.chunk.id));
      return hits;
    });
  }

  private async retrieve(question: string, options: RetrieveOptions, mode: RetrievalMode): Promise<SearchHit[]> {
    let dense: DenseHit[] = [];
    if (mode !== "bm25") {
      const embeddings = this.dense!.embeddings;
      const text = expandQuestionText(question);
      const vector = embeddings.embedText ? embeddings.embedText(text) : await embeddings.embedQuery!(text);
      dense = this.denseCandidates(vector, options);
    }
    const ranked = this.fuse(question, options, mode, dense);
    const reranker = this.rerankerFor(options);
    if (!reranker) return this.finish(ranked, options);
    const candidates = this.rerankCandidates(ranked);
    try {
      return this.finish(ranked, options, await reranker.rerank(question, candidates, options.signal), candidates);
    } catch {
      options.onDegraded?.("rerank_unavailable");
      return this.finish(ranked, options);
    }
  }

  /** Distinct fiche ids in rank order (for evaluation by fiche). */
  rankFiches(question: string, k = 10, mode?: RetrievalMode, rerank = true): string[] {
    return this.search(question, { k, maxPerFiche: 1, rerank, ...(mode ? { mode } : {}) }).map((hit) => hit.chunk.ficheId);
  }

  async rankFichesAsync(question: string, k = 10, mode?: RetrievalMode, rerank = true): Promise<string[]> {
    const hits = await this.searchAsync(question, { k, maxPerFiche: 1, rerank, ...(mode ? { mode } : {}) });
    return hits.map((hit) => hit.chunk.ficheId);
  }

  private rerankerFor(options: RetrieveOptions): Reranker | undefined {
    return options.rerank === false || (options.k ?? 10) <= 0 ? undefined : this.reranker;
  }

  /** The first stage's best fiches, each with its title and best passage. */
  private rerankCandidates(ranked: Array<{ doc: number; score: number }>): RerankCandidate[] {
    return groupByFiche(ranked, this.chunks, this.options.rerankCandidates, 1).map(({ chunk }) => ({
      ficheId: chunk.ficheId,
      text: `${chunk.title}\n${chunk.text}`,
      title: chunk.title,
    }));
  }

  /** What the re-ranking stage is given for a question: the first stage's best fiches, in order (for training it). */
  firstStageCandidates(question: string, options: RetrieveOptions = {}): RerankCandidate[] {
    return this.rerankCandidates(this.localFirstStage(question, options));
  }

  /** The first stage with a local dense leg (or none). */
  private localFirstStage(question: string, options: RetrieveOptions): Array<{ doc: number; score: number }> {
    const mode = this.effectiveMode(options.mode);
    let dense: DenseHit[] = [];
    if (mode !== "bm25") {
      const embeddings = this.dense!.embeddings;
      if (!embeddings.embedText) throw new Error(`the ${embeddings.name} embeddings are remote: use searchAsync`);
      dense = this.denseCandidates(embeddings.embedText(expandQuestionText(question)), options);
    }
    return this.fuse(question, options, mode, dense);
  }

  /**
   * Top-k chunks, at most `maxPerFiche` per fiche; with a re-ranked order, the re-ranked fiches come first
   * (each with its best chunks), then the rest of the first stage.
   */
  private finish(
    ranked: Array<{ doc: number; score: number }>,
    options: RetrieveOptions,
    reranked?: string[],
    candidates?: Array<{ ficheId: string }>,
  ): SearchHit[] {
    const k = options.k ?? 10;
    const maxPerFiche = options.maxPerFiche ?? 2;
    if (!reranked || !candidates) return groupByFiche(ranked, this.chunks, k, maxPerFiche);
    const order = applyOrder(
      candidates.map((c) => c.ficheId),
      reranked,
    );
    const position = new Map(order.map((id, i) => [id, i]));
    const keyed = ranked.map((hit, i) => ({ hit, i, pos: position.get(this.chunks[hit.doc]!.ficheId) ?? order.length }));
    keyed.sort((a, b) => a.pos - b.pos || a.i - b.i);
    return groupByFiche(
      keyed.map((x) => x.hit),
      this.chunks,
      k,
      maxPerFiche,
    );
  }

  private candidateCount(options: RetrieveOptions): number {
    return Math.max(this.options.candidates, (options.k ?? 10) * 20);
  }

  /** First stage: chunk numbers ranked by BM25, by the dense leg, or by their fusion. */
  private fuse(
    question: string,
    options: RetrieveOptions,
    mode: RetrievalMode,
    dense: DenseHit[],
  ): Array<{ doc: number; score: number }> {
    if ((options.k ?? 10) <= 0) return [];
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
    return ranked;
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
