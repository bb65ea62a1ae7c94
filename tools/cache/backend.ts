import type { QuestionSignature } from "./question-signature.js";

/** What is kept per cached answer: the question's signature (for the semantic layer) and the answer itself. */
export interface CacheEntry<T> {
  /** The question as it was asked (redacted), shown as `cached_question` on a semantic hit. */
  question: string;
  signature: QuestionSignature;
  value: T;
}

/** A nearest cached question of a bucket (one namespace, language). */
export interface Nearest<T> {
  entry: CacheEntry<T>;
  similarity: number;
}

/**
 * Where cached answers live: in this process (LRU) or in Redis (shared by every instance). Keys are opaque
 * hashes; `bucket` groups the entries the semantic layer compares (same versions, same reply language).
 * Backends never throw: a store that cannot answer behaves as empty and says so in `status()`.
 */
export interface CacheBackend<T> {
  readonly kind: "memory" | "redis";
  get(key: string): Promise<CacheEntry<T> | undefined>;
  set(key: string, bucket: string, entry: CacheEntry<T>): Promise<void>;
  /** The most similar entry of the bucket at or above `threshold`, if any. */
  nearest(
    bucket: string,
    signature: QuestionSignature,
    similarity: (a: QuestionSignature, b: QuestionSignature) => number,
    threshold: number,
  ): Promise<Nearest<T> | undefined>;
  /** Takes the computing lock of a key for `ms`: a token when taken, null when someone else holds it. */
  lock(key: string, ms: number): Promise<string | null>;
  unlock(key: string, token: string): Promise<void>;
  isLocked(key: string): Promise<boolean>;
  /** Removes one entry (erasure of the conversation that made it). */
  delete(key: string): Promise<void>;
  /** Removes every entry (tests and operators). */
  clear(): Promise<void>;
  status(): { kind: "memory" | "redis"; reachable: boolean; entries?: number };
  close(): Promise<void>;
}
