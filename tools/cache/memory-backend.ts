import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { CacheBackend, CacheEntry, Nearest } from "./backend.js";
import type { QuestionSignature } from "./question-signature.js";

export interface MemoryBackendOptions {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
}

/** Cached answers in this process: an LRU bounded in entries and in bytes, each entry living `ttlMs`. */
export class MemoryCacheBackend<T> implements CacheBackend<T> {
  readonly kind = "memory" as const;
  private readonly entries: LRUCache<string, CacheEntry<T> & { bucket: string }>;
  /** bucket → keys, so that the semantic layer compares only the entries of one bucket. */
  private readonly buckets = new Map<string, Set<string>>();
  private readonly locks = new Map<string, { token: string; until: number }>();

  constructor(options: MemoryBackendOptions) {
    this.entries = new LRUCache({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => Math.max(1, Buffer.byteLength(JSON.stringify(entry))),
      ttl: options.ttlMs,
      dispose: (entry, key) => {
        const keys = this.buckets.get(entry.bucket);
        keys?.delete(key);
        if (keys?.size === 0) this.buckets.delete(entry.bucket);
      },
    });
  }

  async get(key: string): Promise<CacheEntry<T> | undefined> {
    const found = this.entries.get(key);
    return found ? { question: found.question, signature: found.signature, value: found.value } : undefined;
  }

  async set(key: string, bucket: string, entry: CacheEntry<T>): Promise<void> {
    this.entries.set(key, { ...entry, bucket });
    if (!this.entries.has(key)) return; // larger than the whole cache: not kept
    let keys = this.buckets.get(bucket);
    if (!keys) this.buckets.set(bucket, (keys = new Set()));
    keys.add(key);
  }

  async nearest(
    bucket: string,
    signature: QuestionSignature,
    similarity: (a: QuestionSignature, b: QuestionSignature) => number,
    threshold: number,
  ): Promise<Nearest<T> | undefined> {
    let best: { key: string; similarity: number } | undefined;
    for (const key of this.buckets.get(bucket) ?? []) {
      // peek: comparing is not a use; only the entry served moves up the LRU (the get below).
      const entry = this.entries.peek(key);
      if (!entry) continue;
      const score = similarity(signature, entry.signature);
      if (score >= threshold && (!best || score > best.similarity)) best = { key, similarity: score };
    }
    const entry = best ? await this.get(best.key) : undefined;
    return best && entry ? { entry, similarity: best.similarity } : undefined;
  }

  async lock(key: string, ms: number): Promise<string | null> {
    const held = this.locks.get(key);
    if (held && held.until > Date.now()) return null;
    const token = randomUUID();
    this.locks.set(key, { token, until: Date.now() + ms });
    return token;
  }

  async unlock(key: string, token: string): Promise<void> {
    if (this.locks.get(key)?.token === token) this.locks.delete(key);
  }

  async isLocked(key: string): Promise<boolean> {
    const held = this.locks.get(key);
    if (held && held.until <= Date.now()) this.locks.delete(key);
    return held !== undefined && held.until > Date.now();
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async clear(): Promise<void> {
    this.entries.clear();
    this.buckets.clear();
    this.locks.clear();
  }

  status() {
    return { kind: this.kind, reachable: true, entries: this.entries.size };
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
