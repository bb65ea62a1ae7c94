import { CLAIM_METRICS } from "./claims/types.js";
import type { SplitRun } from "./eval-split.js";
import { factsFound, firstGoldRank } from "./metrics.js";

/** Self-knowledge (right but not from the passages) is neither good nor bad for a grounded assistant: not gated. */
export const GATED_CLAIM_METRICS = CLAIM_METRICS.filter((m) => m !== "self_knowledge");

/** Each question's value of each metric, by question id (only where the metric is defined for the question). */
export function perQuestion(run: Pick<SplitRun, "items" | "outcomes" | "claims">): Record<string, Map<string, number>> {
  const values: Record<string, Map<string, number>> = {};
  const put = (metric: string, id: string, value: number | null) => {
    if (value === null) return;
    (values[metric] ??= new Map()).set(id, value);
  };
  run.outcomes.forEach((o, i) => {
    const id = run.items[i]!.id;
    if (o.gold.length === 0) return put("out_of_scope_declined", id, o.answered ? 0 : 1);
    const rank = firstGoldRank(o.gold, o.ranking);
    put("recall@10", id, rank > 0 && rank <= 10 ? 1 : 0);
    put("mrr@10", id, rank > 0 && rank <= 10 ? 1 / rank : 0);
    put("answered", id, o.answered ? 1 : 0);
    put("first_citation", id, o.firstCitation !== undefined && o.gold.includes(o.firstCitation) ? 1 : 0);
    if (o.facts?.length) put("facts", id, factsFound(o.answer, o.facts) / o.facts.length);
  });
  for (const c of run.claims) for (const m of GATED_CLAIM_METRICS) put(`claims.${m}`, c.id, c.scores[m]);
  return values;
}
