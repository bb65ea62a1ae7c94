import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { RedisConnection } from "../redis-connection.js";
import type { CacheBackend, CacheEntry, Nearest } from "./backend.js";
import { heaviestTerms, type QuestionSignature } from "./question-signature.js";

export interface RedisBackendOptions {
  prefix: string;
  ttlMs: number;
  logger: Logger;
  /** Terms of a question under which its entry is indexed for the semantic layer (its heaviest ones). */
  indexedTerms?: number;
  /** At most this many candidates are compared per semantic lookup. */
  maxCandidates?: number;
}

/** Deletes a lock only if it still holds our token (a lock that expired may belong to someone else now). */
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Cached answers in Redis, shared by every instance. Keys, all under the prefix:
 * `e:<key>` the entry (JSON, expiring), `s:<key>` its signature alone (what semantic lookups read),
 * `t:<bucket>:<term>` a set of the keys indexed under a term, `l:<key>` the computing lock.
 * While Redis is unreachable every call answers "nothing cached" and nothing waits; the client reconnects on
 * its own and the cache works again without a restart.
 */
export class RedisCacheBackend<T> implements CacheBackend<T> {
  readonly kind = "redis" as const;
  private reachable = true;
  private readonly indexedTerms: number;
  private readonly maxCandidates: number;

  constructor(
    private readonly client: RedisConnection,
    private readonly options: RedisBackendOptions,
  ) {
    this.indexedTerms = options.indexedTerms ?? 3;
    this.maxCandidates = options.maxCandidates ?? 200;
  }

  private key(kind: "e" | "s" | "l", key: string): string {
    return `${this.options.prefix}${kind}:${key}`;
  }

  private termKey(bucket: string, term: string): string {
    return `${this.options.prefix}t:${bucket}:${term}`;
  }

  private async safely<R>(use: () => Promise<R>, fallback: R): Promise<R> {
    if (!this.client.isReady) {
      this.markUnreachable(new Error("Redis client not connected"));
      return fallback;
    }
    try {
      const value = await use();
      if (!this.reachable) {
        this.reachable = true;
        this.options.logger.info("answer cache: Redis reachable again, cache shared across instances");
      }
      return value;
    } catch (error) {
      this.markUnreachable(error);
      return fallback;
    }
  }

  private markUnreachable(error: unknown): void {
    if (!this.reachable) return;
    this.reachable = false;
    this.options.logger.warn(
      { err: error instanceof Error ? { message: error.message } : undefined },
      "answer cache: Redis unreachable, answers are computed without the cache until it is back",
    );
  }

  get(key: string): Promise<CacheEntry<T> | undefined> {
    return this.safely(async () => {
      const raw = await this.client.get(this.key("e", key));
      return raw ? (JSON.parse(raw) as CacheEntry<T>) : undefined;
    }, undefined);
  }

  set(key: string, bucket: string, entry: CacheEntry<T>): Promise<void> {
    return this.safely(async () => {
      const ttl = this.options.ttlMs;
      const multi = this.client
        .multi()
        .set(this.key("e", key), JSON.stringify(entry), { expiration: { type: "PX", value: ttl } })
        .set(this.key("s", key), JSON.stringify(entry.signature), { expiration: { type: "PX", value: ttl } });
      for (const term of heaviestTerms(entry.signature, this.indexedTerms)) {
        multi.sAdd(this.termKey(bucket, term), key).pExpire(this.termKey(bucket, term), ttl);
      }
      await multi.exec();
    }, undefined);
  }

  nearest(
    bucket: string,
    signature: QuestionSignature,
    similarity: (a: QuestionSignature, b: QuestionSignature) => number,
    threshold: number,
  ): Promise<Nearest<T> | undefined> {
    return this.safely(async () => {
      const terms = heaviestTerms(signature, this.indexedTerms);
      if (terms.length === 0) return undefined;
      const keys = (await this.client.sUnion(terms.map((term) => this.termKey(bucket, term)))).slice(0, this.maxCandidates);
      if (keys.length === 0) return undefined;
      const signatures = await this.client.mGet(keys.map((key) => this.key("s", key)));
      let best: { key: string; similarity: number } | undefined;
      signatures.forEach((raw, i) => {
        if (!raw) return;
        const score = similarity(signature, JSON.parse(raw) as QuestionSignature);
        if (score >= threshold && (!best || score > best.similarity)) best = { key: keys[i]!, similarity: score };
      });
      if (!best) return undefined;
      const raw = await this.client.get(this.key("e", best.key));
      return raw ? { entry: JSON.parse(raw) as CacheEntry<T>, similarity: best.similarity } : undefined;
    }, undefined);
  }

  lock(key: string, ms: number): Promise<string | null> {
    const token = randomUUID();
    return this.safely(async () => {
      const taken = await this.client.set(this.key("l", key), token, { condition: "NX", expiration: { type: "PX", value: ms } });
      return taken === "OK" ? token : null;
    }, null);
  }

  unlock(key: string, token: string): Promise<void> {
    return this.safely(async () => {
      await this.client.eval(UNLOCK, { keys: [this.key("l", key)], arguments: [token] });
    }, undefined);
  }

  isLocked(key: string): Promise<boolean> {
    return this.safely(async () => (await this.client.exists(this.key("l", key))) === 1, false);
  }

  delete(key: string): Promise<void> {
    // The term sets may still name the key: a lookup finds no signature behind it and skips it.
    return this.safely(async () => {
      await this.client.del([this.key("e", key), this.key("s", key)]);
    }, undefined);
  }

  clear(): Promise<void> {
    return this.safely(async () => {
      for await (const keys of this.client.scanIterator({ MATCH: `${this.options.prefix}*`, COUNT: 500 })) {
        if (keys.length > 0) await this.client.del(keys);
      }
    }, undefined);
  }

  status() {
    return { kind: this.kind, reachable: this.client.isReady && this.reachable };
  }

  async close(): Promise<void> {
    // The connection belongs to the process (server/main.ts closes it).
  }
}
