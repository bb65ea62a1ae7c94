/** Costs keep 8 decimals, as in tools/llm/usage.ts: float noise must not keep a sum just under its limit. */
export const roundCost = (cost: number) => Math.round(cost * 1e8) / 1e8;

/** What a scope has spent on a day. */
export interface Spend {
  cost: number;
  tokens: number;
}

/**
 * Daily spending counters per scope ("global", "key:<name>"). `add` returns the totals after the addition, so a
 * caller learns in one round trip what every instance has spent.
 */
export interface SpendStore {
  get(day: string, scopes: readonly string[]): Promise<Spend[]>;
  add(day: string, scopes: readonly string[], spend: Spend): Promise<Spend[]>;
}

/** Counters of this process alone: right for a single instance; each instance counts apart otherwise. */
export class MemorySpendStore implements SpendStore {
  private readonly days = new Map<string, Map<string, Spend>>();

  async get(day: string, scopes: readonly string[]): Promise<Spend[]> {
    const counters = this.days.get(day);
    return scopes.map((scope) => ({ ...(counters?.get(scope) ?? { cost: 0, tokens: 0 }) }));
  }

  async add(day: string, scopes: readonly string[], spend: Spend): Promise<Spend[]> {
    let counters = this.days.get(day);
    if (!counters) {
      // Only the current day is ever asked for again.
      for (const old of this.days.keys()) if (old < day) this.days.delete(old);
      counters = new Map();
      this.days.set(day, counters);
    }
    return scopes.map((scope) => {
      const current = counters.get(scope) ?? { cost: 0, tokens: 0 };
      const next = { cost: roundCost(current.cost + spend.cost), tokens: current.tokens + spend.tokens };
      counters.set(scope, next);
      return { ...next };
    });
  }
}
