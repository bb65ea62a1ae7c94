import { createHash } from "node:crypto";
import type { TermCorrector } from "../search/query-expansion.js";
import type { CacheBackend } from "./backend.js";
import { exactForm, questionSignature, signatureSimilarity, type QuestionSignature } from "./question-signature.js";

export interface AnswerCacheOptions {
  /** Everything an answer depends on besides the question (corpus, answerer, retrieval settings): see namespace.ts. */
  namespace: string;
  /** Semantic hits need at least this similarity; null turns the semantic layer off. */
  threshold: number | null;
  /** How long a computing lock lives: a holder that dies frees it after this. */
  lockMs: number;
  /** How long an identical question waits for the holder's answer before computing it itself. */
  waitMs: number;
  termWeight: (term: string) => number;
  corrector?: TermCorrector;
  /** Poll period while waiting for a holder's answer. */
  pollMs?: number;
}

export type CacheLookup<T> =
  | { kind: "exact"; value: T; question: string }
  | { kind: "semantic"; value: T; question: string; similarity: number }
  | { kind: "miss"; ticket: CacheTicket };

/** What a miss hands over to the run: where to store its answer, and the lock to free. */
export interface CacheTicket {
  key: string;
  bucket: string;
  question: string;
  signature: QuestionSignature;
  /** The lock's token when this run holds it. */
  token: string | null;
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32);

/**
 * The two-layer answer cache. Exact: the question's exact form, the reply language and the namespace make the
 * key. Semantic: the most similar question of the same namespace and language (signatureSimilarity), served only
 * at or above the threshold. Concurrent identical misses compute once: the first takes a lock (in Redis when the
 * backend is Redis, so across instances), the others wait for its answer, up to `waitMs`; if the lock goes away
 * without an answer (holder dead or its answer not cacheable), a waiter takes the lock and computes.
 */
export class AnswerCache<T> {
  private readonly pollMs: number;

  constructor(
    readonly backend: CacheBackend<T>,
    readonly options: AnswerCacheOptions,
  ) {
    this.pollMs = options.pollMs ?? 20;
  }

  private bucketOf(language: string): string {
    return sha(`${this.options.namespace}\n${language}`);
  }

  private keyOf(question: string, language: string): string {
    return sha(`${this.options.namespace}\n${language}\n${exactForm(question)}`);
  }

  /** The exact layer alone, without a lock: the stored answer to this very question, if any. */
  async peek(question: string, language: string): Promise<{ value: T; question: string } | undefined> {
    const exact = await this.backend.get(this.keyOf(question, language));
    return exact ? { value: exact.value, question: exact.question } : undefined;
  }

  async lookup(question: string, language: string, signal?: AbortSignal): Promise<CacheLookup<T>> {
    const bucket = this.bucketOf(language);
    const key = this.keyOf(question, language);
    const exact = await this.backend.get(key);
    if (exact) return { kind: "exact", value: exact.value, question: exact.question };
    const signature = questionSignature(question, this.options.termWeight, this.options.corrector);
    if (this.options.threshold !== null) {
      const near = await this.backend.nearest(bucket, signature, signatureSimilarity, this.options.threshold);
      // The same question stored meanwhile (by the run that held its lock) is an exact hit.
      if (near && exactForm(near.entry.question) === exactForm(question)) return { kind: "exact", value: near.entry.value, question: near.entry.question };
      if (near) return { kind: "semantic", value: near.entry.value, question: near.entry.question, similarity: near.similarity };
    }
    const ticket: CacheTicket = { key, bucket, question, signature, token: await this.backend.lock(key, this.options.lockMs) };
    // Taken, or the store cannot answer (Redis down): nobody to wait for.
    if (ticket.token !== null || !this.backend.status().reachable) return { kind: "miss", ticket };
    // Someone computes this very question: wait for their answer, or for their lock to go.
    const until = Date.now() + this.options.waitMs;
    while (Date.now() < until && !signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      const done = await this.backend.get(key);
      if (done) return { kind: "exact", value: done.value, question: done.question };
      if (!(await this.backend.isLocked(key))) {
        ticket.token = await this.backend.lock(key, this.options.lockMs);
        if (ticket.token !== null) return { kind: "miss", ticket };
      }
      // The store went away while we waited: nobody's answer will arrive through it.
      if (!this.backend.status().reachable) return { kind: "miss", ticket };
    }
    return { kind: "miss", ticket };
  }

  /** Stores a run's answer under its ticket and frees the lock. */
  async store(ticket: CacheTicket, value: T): Promise<void> {
    await this.backend.set(ticket.key, ticket.bucket, { question: ticket.question, signature: ticket.signature, value });
    await this.release(ticket);
  }

  /** Erases entries by key (the answers a deleted conversation stored). */
  async forget(keys: string[]): Promise<void> {
    for (const key of keys) await this.backend.delete(key);
  }

  /** Frees the lock of a run whose answer is not kept (refused, degraded, failed). */
  async release(ticket: CacheTicket): Promise<void> {
    if (ticket.token !== null) await this.backend.unlock(ticket.key, ticket.token);
    ticket.token = null;
  }
}
