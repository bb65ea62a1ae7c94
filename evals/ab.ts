import type { Session } from "../cli/session.js";
import { runGuichet } from "../graphs/run.js";
import type { PreparedVariant } from "../tools/experiments/variant-capabilities.js";
import type { SplitRun } from "./eval-split.js";
import { perQuestion } from "./per-question.js";
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
