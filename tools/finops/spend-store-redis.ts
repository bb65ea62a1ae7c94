import type { RedisConnection } from "../redis-connection.js";
import type { Spend, SpendStore } from "./spend-store.js";

/** A day's counters outlive it a little, for a look the day after; then Redis drops them. */
const TTL_S = 3 * 86_400;

export const DEFAULT_BUDGET_PREFIX = "guichet:";

export interface RedisSpendStoreOptions {
  /** Keys are `${prefix}budget:${day}:${scope}`; "guichet:" by default. */
  prefix?: string;
}

/**
 * Counters shared by every instance: one hash per day and scope, `cost` (HINCRBYFLOAT) and `tokens` (HINCRBY).
 * Throws when Redis cannot answer; the caller decides what that means (budgets fail open).
 */
export class RedisSpendStore implements SpendStore {
  constructor(
    private readonly client: RedisConnection,
    private readonly options: RedisSpendStoreOptions = {},
  ) {}

  private key(day: string, scope: string): string {
    return `${this.options.prefix ?? DEFAULT_BUDGET_PREFIX}budget:${day}:${scope}`;
  }

  private ready(): void {
    // Fails at once rather than waiting on a reconnect: a budget check sits in front of every request.
    if (!this.client.isReady) throw new Error("Redis client not connected");
  }

  async get(day: string, scopes: readonly string[]): Promise<Spend[]> {
    this.ready();
    const multi = this.client.multi();
    for (const scope of scopes) multi.hmGet(this.key(day, scope), ["cost", "tokens"]);
    const replies = (await exec(multi)) as (string | null)[][];
    return replies.map(([costValue, tokensValue]) => ({ cost: Number(costValue ?? 0), tokens: Number(tokensValue ?? 0) }));
  }

  async add(day: string, scopes: readonly string[], spend: Spend): Promise<Spend[]> {
    this.ready();
    const multi = this.client.multi();
    for (const scope of scopes) {
      const key = this.key(day, scope);
      multi.hIncrByFloat(key, "cost", spend.cost).hIncrBy(key, "tokens", Math.round(spend.tokens)).expire(key, TTL_S);
    }
    const replies = (await exec(multi)) as (string | number)[];
    return scopes.map((_, i) => ({ cost: Number(replies[i * 3]), tokens: Number(replies[i * 3 + 1]) }));
  }
}

/** Runs a transaction; when commands in it fail, throws the first of their errors (the one that says why). */
async function exec(multi: { exec(): Promise<unknown> }): Promise<unknown[]> {
  try {
    return (await multi.exec()) as unknown[];
  } catch (error) {
    const errors = (error as { errors?: () => Iterable<Error> }).errors;
    const first = typeof errors === "function" ? [...errors.call(error)][0] : undefined;
    throw first ?? error;
  }
}
