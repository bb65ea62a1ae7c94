import type { UsageEntry } from "./usage-entry.js";

export const DIMENSIONS = ["key", "model", "node", "day"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface CostTotals {
  /** LLM calls (entries not served from the cache). */
  calls: number;
  /** Runs answered from the answer cache. */
  cached: number;
  input_tokens: number;
  output_tokens: number;
  cost: number;
}

export type CostRow = Partial<Record<Dimension, string>> & CostTotals;

export interface CostGroups {
  rows: CostRow[];
  total: CostTotals;
}

const valueOf = (entry: UsageEntry, dimension: Dimension): string =>
  dimension === "day" ? new Date(entry.time).toISOString().slice(0, 10) : entry[dimension];

/** Sums the entries per distinct combination of the `by` dimensions; rows sorted by those values. */
export function groupUsage(entries: readonly UsageEntry[], by: readonly Dimension[]): CostGroups {
  const rows = new Map<string, CostRow>();
  const total = emptyTotals();
  for (const entry of entries) {
    const values = by.map((dimension) => valueOf(entry, dimension));
    const id = values.join("\u0000");
    let row = rows.get(id);
    if (!row) {
      row = { ...Object.fromEntries(by.map((dimension, i) => [dimension, values[i]])), ...emptyTotals() };
      rows.set(id, row);
    }
    add(row, entry);
    add(total, entry);
  }
  const sorted = [...rows.values()].sort((a, b) => {
    for (const dimension of by) {
      const x = a[dimension] ?? "";
      const y = b[dimension] ?? "";
      // Code-point order: the same on every machine, whatever its locale.
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
  return { rows: sorted, total };
}

function emptyTotals(): CostTotals {
  return { calls: 0, cached: 0, input_tokens: 0, output_tokens: 0, cost: 0 };
}

function add(totals: CostTotals, entry: UsageEntry): void {
  if (entry.cached) totals.cached += 1;
  else totals.calls += 1;
  totals.input_tokens += entry.input_tokens;
  totals.output_tokens += entry.output_tokens;
  // Costs are small fractions: 8 decimals, without the float noise of long sums.
  totals.cost = Math.round((totals.cost + entry.cost) * 1e8) / 1e8;
}
