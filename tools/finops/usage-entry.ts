import { z } from "zod";
import type { UsageRecord } from "../llm/usage.js";

/** Who a run is billed to: an API key's name, "jwt" for bearer tokens, "anonymous" when auth is off. */
export type UsageKey = string;

/** One line of the usage log: an LLM call, or a run answered from the answer cache (model "-", node "cache"). */
export const UsageEntrySchema = z.object({
  time: z.iso.datetime({ offset: true }),
  key: z.string().min(1),
  model: z.string().min(1),
  node: z.string().min(1),
  input_tokens: z.number().int().min(0),
  output_tokens: z.number().int().min(0),
  cost: z.number().min(0),
  cached: z.boolean(),
  estimated: z.boolean(),
});

export type UsageEntry = z.infer<typeof UsageEntrySchema>;

/** The log lines of a run's LLM calls (the `usage` records the graph state keeps). */
export function usageEntries(key: UsageKey, records: readonly UsageRecord[], time: Date): UsageEntry[] {
  const at = time.toISOString();
  return records.map((r) => ({
    time: at,
    key,
    model: r.model,
    node: r.node,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cost: r.cost,
    cached: false,
    estimated: r.estimated,
  }));
}

/** The log line of a run served from the answer cache: no model call, so no tokens and no cost. */
export function cachedRunEntry(key: UsageKey, time: Date): UsageEntry {
  return { time: time.toISOString(), key, model: "-", node: "cache", input_tokens: 0, output_tokens: 0, cost: 0, cached: true, estimated: false };
}
