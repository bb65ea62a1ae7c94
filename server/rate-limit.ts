import type { NextFunction, Request, RequestHandler, Response } from "express";
import { ipKeyGenerator, MemoryStore, rateLimit, type IncrementResponse, type Options, type Store } from "express-rate-limit";
import type { Logger } from "pino";
import { RedisStore, type RedisReply } from "rate-limit-redis";
import { connectRedis, type RedisConnection } from "../tools/redis-connection.js";
import { problems } from "./problems.js";
import { record } from "../tools/telemetry/metrics.js";

const WINDOW_MS = 60_000;

export interface RateLimitStatus {
  store: "memory" | "redis";
  /** True when counts are shared by every instance (Redis reachable). */
  shared: boolean;
  /** True when Redis is configured but unreachable: limits fall back to this process only. */
  degraded: boolean;
}

export interface RateLimiter {
  middleware: RequestHandler;
  status(): RateLimitStatus;
  close(): Promise<void>;
}

/** The part of a node-redis client the limiter uses. */
interface RedisClient {
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  destroy(): void;
}

/**
 * Redis counts, shared by all instances; while Redis is unreachable, per-process counts in memory (each
 * instance still enforces the limit on its own) with a warning, and Redis again as soon as it answers.
 */
export class SharedStoreWithFallback implements Store {
  readonly localKeys = false;
  private readonly fallback = new MemoryStore();
  private options?: Options;
  private primary?: Promise<RedisStore>;
  degraded = false;

  constructor(
    private readonly client: RedisClient,
    readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  init(options: Options): void {
    this.options = options;
    this.fallback.init(options);
  }

  private redisStore(): Promise<RedisStore> | undefined {
    if (!this.client.isReady) return undefined;
    this.primary ??= (async () => {
      const store = new RedisStore({
        prefix: this.prefix,
        sendCommand: (...args: string[]) => this.client.sendCommand(args) as Promise<RedisReply>,
      });
      await store.init(this.options!);
      return store;
    })();
    return this.primary;
  }

  private markDegraded(error: unknown): void {
    // The scripts are loaded again once Redis is back (a restarted Redis has lost them).
    this.primary = undefined;
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      { err: error instanceof Error ? { message: error.message } : undefined },
      "rate limit: Redis unreachable, limits are now counted per instance until it is back",
    );
  }

  private async withRedis<T>(use: (store: RedisStore) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const store = this.redisStore();
    if (!store) {
      this.markDegraded(new Error("Redis client not connected"));
      return { ok: false };
    }
    try {
      const value = await use(await store);
      if (this.degraded) {
        this.degraded = false;
        this.logger.info("rate limit: Redis reachable again, limits are shared across instances");
      }
      return { ok: true, value };
    } catch (error) {
      this.markDegraded(error);
      return { ok: false };
    }
  }

  async increment(key: string): Promise<IncrementResponse> {
    const result = await this.withRedis((store) => store.increment(key));
    return result.ok ? result.value : this.fallback.increment(key);
  }

  async decrement(key: string): Promise<void> {
    const result = await this.withRedis((store) => store.decrement(key));
    if (!result.ok) await this.fallback.decrement(key);
  }

  async resetKey(key: string): Promise<void> {
    await this.withRedis((store) => store.resetKey(key));
    await this.fallback.resetKey(key);
  }

  shutdown(): void {
    this.fallback.shutdown();
  }
}

export interface RateLimiterOptions {
  perMinute: number;
  redisUrl?: string;
  prefix: string;
  logger: Logger;
  windowMs?: number;
  /** The process's Redis connection (closed by its owner); else one is opened from `redisUrl`. */
  redis?: RedisConnection;
}

/**
 * express-rate-limit keyed by principal (or client IP when anonymous), with draft-8 `RateLimit` /
 * `RateLimit-Policy` headers and a JSON problem plus `Retry-After` on 429. Needs `req.principal` (server/auth.ts).
 */
export async function createRateLimiter(options: RateLimiterOptions): Promise<RateLimiter> {
  const windowMs = options.windowMs ?? WINDOW_MS;
  const owned = !options.redis && options.redisUrl ? await connectRedis(options.redisUrl, options.logger) : undefined;
  const client = (options.redis ?? owned) as RedisClient | undefined;
  const store = client ? new SharedStoreWithFallback(client, options.prefix, options.logger) : new MemoryStore();
  const limitOf = (req: Request) => req.principal?.rateLimitPerMinute ?? options.perMinute;
  const middleware = rateLimit({
    windowMs,
    limit: (req: Request) => limitOf(req),
    standardHeaders: "draft-8",
    legacyHeaders: false,
    identifier: (req: Request) => `${limitOf(req)}-per-${windowMs / 1000}s`,
    keyGenerator: (req: Request) =>
      !req.principal || req.principal.kind === "anonymous" ? `ip:${ipKeyGenerator(req.ip ?? "unknown")}` : req.principal.id,
    store,
    handler: (req: Request, res: Response, next: NextFunction) => {
      const retryAfter = Number(res.getHeader("Retry-After") ?? Math.ceil(windowMs / 1000));
      record.rateLimited(req.principal?.kind ?? "anonymous");
      next(problems.tooManyRequests(limitOf(req), retryAfter));
    },
    // The Redis fallback is ours; other store errors must not lock callers out.
    passOnStoreError: true,
    validate: { xForwardedForHeader: false },
    logger: {
      warn: (message: string) => options.logger.warn(message),
      error: (message: string) => options.logger.error(message),
    } as Options["logger"],
  });
  const degraded = () => client !== undefined && (!client.isReady || (store as SharedStoreWithFallback).degraded);
  return {
    middleware,
    status: () => ({ store: client ? "redis" : "memory", shared: client !== undefined && !degraded(), degraded: degraded() }),
    async close() {
      store.shutdown();
      try {
        owned?.destroy();
      } catch {
        // already closed
      }
    },
  };
}
