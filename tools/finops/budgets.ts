import type { BudgetConfig, BudgetLimit } from "./budget-config.js";
import { utcDay } from "./day.js";
import { roundCost, type Spend, type SpendStore } from "./spend-store.js";

export type BudgetUnit = "cost" | "tokens";

/** One gauge sample: what a scope has spent today in a unit, and its limit. */
export interface BudgetStatus {
  scope: string;
  unit: BudgetUnit;
  spent: number;
  limit: number;
}

export interface BudgetExceeded {
  scope: string;
  unit: BudgetUnit;
}

export interface BudgetsOptions {
  store: SpendStore;
  now?: () => Date;
  /** Once per scope, unit and day, when spending reaches the alert share of the limit; `share` is spent / limit. */
  onShareCrossed?: (scope: string, unit: BudgetUnit, share: number) => void;
  /** Once per scope, unit and day, when spending reaches the limit. */
  onExceeded?: (scope: string, unit: BudgetUnit) => void;
  /** Once when the store starts failing (again only after it has answered since); budgets then fail open. */
  onStoreError?: (error: Error) => void;
}

export const GLOBAL_SCOPE = "global";
export const keyScope = (key: string) => `key:${key}`;

const UNITS: readonly BudgetUnit[] = ["cost", "tokens"];

interface Scoped {
  scope: string;
  limit: BudgetLimit;
}

const normalized = (spend: Spend): Spend => ({ cost: roundCost(spend.cost), tokens: spend.tokens });
const limited = (limit: BudgetLimit) => limit.cost !== undefined || limit.tokens !== undefined;

/**
 * Daily budgets per API key and overall, counted in a SpendStore (Redis to share them between instances).
 * A check reads the counters, it does not reserve: calls already running when a limit is reached still add to it.
 * When the store fails, nobody is refused (fail open) and the failure is reported.
 */
export class Budgets {
  readonly alertShare: number;
  private readonly now: () => Date;
  private day = "";
  private readonly known = new Map<string, { limit: BudgetLimit; spend: Spend }>();
  private readonly fired = new Set<string>();
  private failing = false;

  constructor(
    private readonly config: BudgetConfig,
    private readonly options: BudgetsOptions,
  ) {
    this.alertShare = config.alertShare;
    this.now = options.now ?? (() => new Date());
  }

  /** False when no limit is configured at all: then nothing is ever checked nor counted. */
  get enabled(): boolean {
    return limited(this.config.global) || limited(this.config.perKey) || Object.values(this.config.keys).some(limited);
  }

  /** The key's budget, then the global one: the first limit reached, or false (also when the store fails). */
  async exceeded(key: string): Promise<false | BudgetExceeded> {
    const scopes = this.scopesOf(key);
    if (scopes.length === 0) return false;
    const day = this.today();
    let spends: Spend[];
    try {
      spends = (await this.options.store.get(day, scopes.map((s) => s.scope))).map(normalized);
      this.failing = false;
    } catch (error) {
      this.report(error);
      return false;
    }
    scopes.forEach((s, i) => this.observe(day, s, spends[i]!));
    for (const [i, s] of scopes.entries()) {
      for (const unit of UNITS) {
        const max = s.limit[unit];
        if (max !== undefined && spends[i]![unit] >= max) return { scope: s.scope, unit };
      }
    }
    return false;
  }

  /** Adds a run's (or a call's) cost and tokens to the key's scope and to the global one. */
  async record(key: string, cost: number, tokens: number): Promise<void> {
    const scopes = this.scopesOf(key);
    if (scopes.length === 0 || (cost <= 0 && tokens <= 0)) return;
    const day = this.today();
    try {
      const added = { cost: Math.max(cost, 0), tokens: Math.max(tokens, 0) };
      const spends = (await this.options.store.add(day, scopes.map((s) => s.scope), added)).map(normalized);
      this.failing = false;
      scopes.forEach((s, i) => this.observe(day, s, spends[i]!));
    } catch (error) {
      this.report(error);
    }
  }

  /** The latest known spending of today's scopes, per limited unit (for gauges); a new day starts at 0. */
  status(): BudgetStatus[] {
    const today = utcDay(this.now());
    const known = today === this.day ? this.known : new Map<string, { limit: BudgetLimit; spend: Spend }>();
    const scopes = new Map(known);
    if (limited(this.config.global) && !scopes.has(GLOBAL_SCOPE)) {
      scopes.set(GLOBAL_SCOPE, { limit: this.config.global, spend: { cost: 0, tokens: 0 } });
    }
    const samples: BudgetStatus[] = [];
    for (const [scope, { limit, spend }] of scopes) {
      for (const unit of UNITS) {
        const max = limit[unit];
        if (max !== undefined) samples.push({ scope, unit, spent: spend[unit], limit: max });
      }
    }
    return samples;
  }

  private scopesOf(key: string): Scoped[] {
    const own = Object.hasOwn(this.config.keys, key) ? this.config.keys[key]! : this.config.perKey;
    const scopes: Scoped[] = [];
    if (limited(own)) scopes.push({ scope: keyScope(key), limit: own });
    if (limited(this.config.global)) scopes.push({ scope: GLOBAL_SCOPE, limit: this.config.global });
    return scopes;
  }

  private today(): string {
    const day = utcDay(this.now());
    if (day !== this.day) {
      this.day = day;
      this.known.clear();
      this.fired.clear();
    }
    return day;
  }

  private observe(day: string, { scope, limit }: Scoped, spend: Spend): void {
    // An answer that comes back after midnight describes yesterday.
    if (day !== this.day) return;
    this.known.set(scope, { limit, spend });
    for (const unit of UNITS) {
      const max = limit[unit];
      if (max === undefined) continue;
      const share = spend[unit] / max;
      if (share >= this.alertShare) this.once(`${scope}\u0000${unit}\u0000share`, () => this.options.onShareCrossed?.(scope, unit, share));
      if (spend[unit] >= max) this.once(`${scope}\u0000${unit}\u0000exceeded`, () => this.options.onExceeded?.(scope, unit));
    }
  }

  private once(id: string, fire: () => void): void {
    if (this.fired.has(id)) return;
    this.fired.add(id);
    try {
      fire();
    } catch {
      // A throwing callback must not turn a budget check into a failed request.
    }
  }

  private report(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    try {
      this.options.onStoreError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // Same as above: reporting is best effort.
    }
  }
}
