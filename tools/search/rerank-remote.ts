import { z } from "zod";
import type { RerankCandidate, Reranker } from "./rerank.js";

export interface RemoteRerankerOptions {
  /** Base URL of the service; the request goes to `${baseUrl}/rerank`. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
}

const RerankResponse = z.object({
  results: z.array(z.object({ index: z.number().int().nonnegative(), relevance_score: z.number() })),
});

/** Longest passage sent per candidate: re-rankers read a few hundred tokens at most. */
const MAX_DOCUMENT_CHARS = 2000;

/**
 * A `/rerank` endpoint in the shape Cohere, Jina, vLLM and Infinity serve:
 * `{model, query, documents, top_n}` → `{results: [{index, relevance_score}]}`.
 */
export class RemoteReranker implements Reranker {
  readonly name: string;
  readonly local = false;

  constructor(private readonly options: RemoteRerankerOptions) {
    this.name = `rerank:${options.model}`;
  }

  async rerank(question: string, candidates: RerankCandidate[], signal?: AbortSignal): Promise<string[]> {
    if (candidates.length === 0) return [];
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const response = await fetch(`${this.options.baseUrl.replace(/\/+$/, "")}/rerank`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: this.options.model,
        query: question,
        documents: candidates.map((c) => c.text.slice(0, MAX_DOCUMENT_CHARS)),
        top_n: candidates.length,
      }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (!response.ok) throw new Error(`rerank endpoint answered ${response.status}`);
    const parsed = RerankResponse.safeParse(await response.json());
    if (!parsed.success) throw new Error("rerank endpoint answered an unexpected body");
    return parsed.data.results
      .filter((r) => r.index < candidates.length)
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .map((r) => candidates[r.index]!.ficheId);
  }
}
