import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { OpenAIEmbeddings } from "@langchain/openai";
import { withGenAiClientSpan } from "../../telemetry/gen-ai-span.js";

/** An OpenAI-compatible `/embeddings` endpoint (OpenAI, Albert's bge-m3, Ollama, TEI, vLLM...). */
export interface RemoteEmbeddingsConfig {
  baseURL?: string;
  apiKey: string;
  model: string;
  /** Asked of models that can shorten their vectors (OpenAI text-embedding-3); omitted otherwise. */
  dimensions?: number;
  /** Texts per request. */
  batchSize: number;
  /** Retries of one request on 429 (honouring Retry-After), 5xx and network errors; never on other 4xx. */
  maxRetries: number;
  timeoutMs: number;
}

/** LangChain's OpenAI embeddings client pointed at any compatible endpoint, with retries and batching. */
export function remoteEmbeddings(config: RemoteEmbeddingsConfig): OpenAIEmbeddings {
  return new OpenAIEmbeddings({
    apiKey: config.apiKey,
    model: config.model,
    ...(config.dimensions ? { dimensions: config.dimensions } : {}),
    batchSize: config.batchSize,
    maxRetries: config.maxRetries,
    maxConcurrency: 2,
    timeout: config.timeoutMs,
    configuration: { ...(config.baseURL ? { baseURL: config.baseURL } : {}) },
  });
}

/** What the embeddings of one model are keyed by: the model and its dimensions. */
export function modelKey(config: Pick<RemoteEmbeddingsConfig, "baseURL" | "model" | "dimensions">): string {
  return `${config.baseURL ?? "openai"}|${config.model}|${config.dimensions ?? "native"}`;
}

function unit(vector: number[]): Float32Array {
  const out = Float32Array.from(vector);
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

export function textHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/**
 * Vectors by text hash, for one model, saved beside the index: re-ingestion only pays for texts it has
 * not embedded before.
 */
export class VectorCache {
  private constructor(
    readonly model: string,
    private readonly vectors: Map<string, Float32Array>,
  ) {}

  static load(dir: string, model: string): VectorCache {
    const meta = join(dir, "vectors.json");
    if (!existsSync(meta)) return new VectorCache(model, new Map());
    const stored = JSON.parse(readFileSync(meta, "utf8")) as { model: string; dims: number; keys: string[] };
    if (stored.model !== model) return new VectorCache(model, new Map());
    const data = new Float32Array(new Uint8Array(readFileSync(join(dir, "vectors.bin"))).buffer);
    const vectors = new Map(stored.keys.map((key, i) => [key, data.subarray(i * stored.dims, (i + 1) * stored.dims)]));
    return new VectorCache(model, vectors);
  }

  get size(): number {
    return this.vectors.size;
  }

  get(key: string): Float32Array | undefined {
    return this.vectors.get(key);
  }

  set(key: string, vector: Float32Array): void {
    this.vectors.set(key, vector);
  }

  /** Keeps only the given keys (texts no longer indexed leave the cache), then writes it. */
  save(dir: string, keep: Set<string>): void {
    const keys = [...this.vectors.keys()].filter((k) => keep.has(k));
    const dims = keys.length > 0 ? this.vectors.get(keys[0]!)!.length : 0;
    const data = new Float32Array(keys.length * dims);
    keys.forEach((k, i) => data.set(this.vectors.get(k)!, i * dims));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "vectors.bin.tmp"), new Uint8Array(data.buffer));
    renameSync(join(dir, "vectors.bin.tmp"), join(dir, "vectors.bin"));
    writeFileSync(join(dir, "vectors.json"), JSON.stringify({ model: this.model, dims, keys }));
  }
}

export interface EmbedOutcome {
  vectors: Float32Array[];
  /** Texts sent to the endpoint (the others came from the cache). */
  embedded: number;
  cached: number;
}

/**
 * Unit vectors of `texts`: cached ones reused, the others embedded batch after batch (so progress can be
 * shown and a failure costs one batch), then cached.
 */
export async function embedWithCache(
  texts: string[],
  embeddings: Pick<OpenAIEmbeddings, "embedDocuments">,
  cache: VectorCache,
  batchSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<EmbedOutcome> {
  const keys = texts.map(textHash);
  const missing = [...new Set(keys.filter((k) => !cache.get(k)))];
  const textOf = new Map(keys.map((k, i) => [k, texts[i]!]));
  for (let start = 0; start < missing.length; start += batchSize) {
    const batch = missing.slice(start, start + batchSize);
    const vectors = await embeddings.embedDocuments(batch.map((k) => textOf.get(k)!));
    if (vectors.length !== batch.length) {
      throw new Error(`the embeddings endpoint returned ${vectors.length} vectors for ${batch.length} texts`);
    }
    batch.forEach((k, i) => cache.set(k, unit(vectors[i]!)));
    onProgress?.(Math.min(start + batchSize, missing.length), missing.length);
  }
  return { vectors: keys.map((k) => cache.get(k)!), embedded: missing.length, cached: texts.length - missing.length };
}

/** A query embedder for the retriever: remote, so asynchronous. */
export function remoteQueryEmbedder(embeddings: Pick<OpenAIEmbeddings, "embedQuery">, name: string) {
  return {
    name,
    embedQuery: (text: string) =>
      withGenAiClientSpan("embeddings", name, async () => unit(await embeddings.embedQuery(text))),
  };
}
