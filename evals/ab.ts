import type { Session } from "../cli/session.js";
import { runGuichet } from "../graphs/run.js";
import type { PreparedVariant } from "../tools/experiments/variant-capabilities.js";
import { GATED_CLAIM_METRICS } from "./gate.js";
import type { SplitRun } from "./eval-split.js";
import { factsFound, firstGoldRank } from "./metrics.js";
import { pairedBootstrap, type PairedComparison } from "./stats.js";

/** A session whose questions run with a variant's capabilities and tunables. */
export function variantSession(session: Session, variant: PreparedVariant): Session {
  const configuration = { topK: session.config.topK, maxPerFiche: session.config.maxPerFiche, maxQuestionLength: session.config.maxQuestionLength, ...variant.configuration };
  return {
    ...session,
    capabilities: variant.capabilities,
    ask: (question, language, options) =>
      runGuichet(session.graph, { question, ...(language ? { language } : {}) }, { capabilities: variant.capabilities, configuration, variant: variant.name, ...options }),
  };
}

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

export interface MetricComparison extends PairedComparison {
  metric: string;
}

/** Paired bootstrap of B against A on every metric, over the questions where both define it. */
export function compareRuns(a: Pick<SplitRun, "items" | "outcomes" | "claims">, b: Pick<SplitRun, "items" | "outcomes" | "claims">): MetricComparison[] {
  const va = perQuestion(a);
  const vb = perQuestion(b);
  return Object.keys(va).flatMap((metric) => {
    const ids = [...va[metric]!.keys()].filter((id) => vb[metric]?.has(id));
    if (ids.length === 0) return [];
    return [{ metric, ...pairedBootstrap(ids.map((id) => va[metric]!.get(id)!), ids.map((id) => vb[metric]!.get(id)!)) }];
  });
}
