import type { AIMessage } from "@langchain/core/messages";
import { z } from "zod";

/** Price of a model in the currency of the table (USD for the defaults), per 1,000 tokens. */
export interface Price {
  input_per_1k: number;
  output_per_1k: number;
}
export type PriceTable = Record<string, Price>;

/**
 * List prices (USD) of a few OpenAI models at the time of writing; GUICHET_LLM_PRICES replaces this table.
 * Models absent from the table cost 0 and are reported as unpriced.
 */
export const DEFAULT_PRICES: PriceTable = {
  "gpt-4o-mini": { input_per_1k: 0.00015, output_per_1k: 0.0006 },
  "gpt-4o": { input_per_1k: 0.0025, output_per_1k: 0.01 },
  "gpt-4.1-mini": { input_per_1k: 0.0004, output_per_1k: 0.0016 },
};

const PriceTableSchema = z.record(
  z.string().min(1),
  z.object({ input_per_1k: z.number().min(0), output_per_1k: z.number().min(0) }),
);

/** The price table from GUICHET_LLM_PRICES (JSON: model → {input_per_1k, output_per_1k}); defaults when unset. */
export function parsePrices(json: string | undefined): PriceTable {
  if (json === undefined) return DEFAULT_PRICES;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error("must be JSON such as {\"my-model\":{\"input_per_1k\":0.001,\"output_per_1k\":0.002}}");
  }
  const parsed = PriceTableSchema.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return parsed.data;
}

/** One LLM call as the state keeps it. */
export interface UsageRecord {
  node: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  /** True when the provider sent no usage and the tokens were estimated from characters (4 per token). */
  estimated: boolean;
  cost: number;
  /** False when the model is not in the price table (its cost then counts as 0). */
  priced: boolean;
  /** Milliseconds spent waiting on the endpoint, retries and back-off included. */
  model_ms: number;
  /** Version of the prompt file used, when the call used one (e.g. "answer.v1"). */
  prompt?: string;
}

export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

export function costOf(prices: PriceTable, model: string, input: number, output: number): { cost: number; priced: boolean } {
  const price = prices[model];
  if (!price) return { cost: 0, priced: false };
  return { cost: round((input / 1000) * price.input_per_1k + (output / 1000) * price.output_per_1k), priced: true };
}

/** Usage of one call from the message's usage_metadata, or estimated from the prompt and reply lengths. */
export function usageOf(
  message: Pick<AIMessage, "usage_metadata"> & { text: string },
  call: { node: string; model: string; promptChars: number; modelMs: number; prices: PriceTable },
): UsageRecord {
  const meta = message.usage_metadata;
  // Without usage fields LangChain leaves the counts undefined (or 0).
  const estimated = !meta || !((meta.input_tokens ?? 0) > 0 || (meta.output_tokens ?? 0) > 0);
  const input = estimated ? estimateTokens(call.promptChars) : (meta.input_tokens ?? 0);
  const output = estimated ? estimateTokens(message.text.length) : (meta.output_tokens ?? 0);
  return {
    node: call.node,
    model: call.model,
    input_tokens: input,
    output_tokens: output,
    estimated,
    ...costOf(call.prices, call.model, input, output),
    model_ms: Math.round(call.modelMs * 1000) / 1000,
  };
}

export interface UsageLine {
  node: string;
  model: string;
  prompt?: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost: number;
  estimated: boolean;
  model_ms: number;
}

/** The `usage` field of a response. */
export interface UsageSummary {
  by_node: UsageLine[];
  total: { input_tokens: number; output_tokens: number; cost: number; estimated: boolean; model_ms: number };
}

/** Sums the run's calls per node and model, and overall. */
export function summarizeUsage(records: UsageRecord[]): UsageSummary {
  const lines = new Map<string, UsageLine>();
  for (const r of records) {
    const key = `${r.node}\u0000${r.model}`;
    const line = lines.get(key) ?? {
      node: r.node, model: r.model, ...(r.prompt ? { prompt: r.prompt } : {}), calls: 0, input_tokens: 0, output_tokens: 0, cost: 0, estimated: false, model_ms: 0,
    };
    line.calls += 1;
    line.input_tokens += r.input_tokens;
    line.output_tokens += r.output_tokens;
    line.cost = round(line.cost + r.cost);
    line.estimated ||= r.estimated;
    line.model_ms = round(line.model_ms + r.model_ms);
    lines.set(key, line);
  }
  const by_node = [...lines.values()];
  return {
    by_node,
    total: {
      input_tokens: by_node.reduce((s, l) => s + l.input_tokens, 0),
      output_tokens: by_node.reduce((s, l) => s + l.output_tokens, 0),
      cost: round(by_node.reduce((s, l) => s + l.cost, 0)),
      estimated: by_node.some((l) => l.estimated),
      model_ms: round(by_node.reduce((s, l) => s + l.model_ms, 0)),
    },
  };
}

/** Costs are small fractions: keep 8 decimals, drop float noise. */
function round(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}
