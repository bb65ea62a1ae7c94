import type { GroupFigures, SplitReport } from "./types.js";

/** Which way a metric should go; self-knowledge is neither good nor bad in itself. */
export type Direction = "higher" | "lower" | "neutral";

export type FamilyId = "answer" | "retrieval_claims" | "generator" | "retrieval";

export interface MetricFamily {
  id: FamilyId;
  title: string;
}

/** Where a metric's value lives: the claim means, the retrieval metrics, or the split's out-of-scope figures. */
export type MetricSource = "claims" | "retrieval" | "out_of_scope";

export interface MetricInfo {
  /** The name in the history file and in `ClaimSummary` / `Metrics` (out-of-scope: `out_of_scope_declined`). */
  key: string;
  label: string;
  family: FamilyId;
  source: MetricSource;
  direction: Direction;
  /** One line for the glossary. */
  meaning: string;
}

export const FAMILIES: MetricFamily[] = [
  { id: "answer", title: "Answer claims vs the reference" },
  { id: "retrieval_claims", title: "Retrieval, by claims" },
  { id: "generator", title: "Generator, by claims" },
  { id: "retrieval", title: "Retrieval and answers" },
];

export const METRICS: MetricInfo[] = [
  { key: "precision", label: "precision", family: "answer", source: "claims", direction: "higher", meaning: "share of the answer's claims that the reference answer entails" },
  { key: "recall", label: "recall", family: "answer", source: "claims", direction: "higher", meaning: "share of the reference's claims that the answer entails (0 when the question was declined)" },
  { key: "f1", label: "F1", family: "answer", source: "claims", direction: "higher", meaning: "harmonic mean of claim precision and recall" },
  { key: "claim_recall", label: "claim recall", family: "retrieval_claims", source: "claims", direction: "higher", meaning: "share of the reference's claims entailed by at least one retrieved passage" },
  { key: "context_precision", label: "context precision", family: "retrieval_claims", source: "claims", direction: "higher", meaning: "share of retrieved passages that entail at least one reference claim (relevant passages)" },
  { key: "faithfulness", label: "faithfulness", family: "generator", source: "claims", direction: "higher", meaning: "share of the answer's claims entailed by a passage the answerer read" },
  { key: "hallucination", label: "hallucination", family: "generator", source: "claims", direction: "lower", meaning: "share of the answer's claims that are wrong and in no passage" },
  { key: "self_knowledge", label: "self-knowledge", family: "generator", source: "claims", direction: "neutral", meaning: "share of the answer's claims that are right but in no passage (the answerer's own knowledge)" },
  { key: "context_utilization", label: "context utilisation", family: "generator", source: "claims", direction: "higher", meaning: "of the reference claims that the passages hold, the share the answer states" },
  { key: "noise_sensitivity_relevant", label: "noise sens. (relevant)", family: "generator", source: "claims", direction: "lower", meaning: "share of the answer's claims that are wrong and taken from a relevant passage" },
  { key: "noise_sensitivity_irrelevant", label: "noise sens. (irrelevant)", family: "generator", source: "claims", direction: "lower", meaning: "share of the answer's claims that are wrong and taken from an irrelevant passage" },
  { key: "recall@10", label: "recall@10", family: "retrieval", source: "retrieval", direction: "higher", meaning: "share of in-scope questions with a gold fiche in the top 10" },
  { key: "mrr@10", label: "MRR@10", family: "retrieval", source: "retrieval", direction: "higher", meaning: "mean of 1 / rank of the first gold fiche (0 beyond rank 10)" },
  { key: "facts", label: "facts", family: "retrieval", source: "retrieval", direction: "higher", meaning: "share of the expected facts found in the answers" },
  { key: "answered", label: "answered", family: "retrieval", source: "retrieval", direction: "higher", meaning: "share of in-scope questions answered rather than declined" },
  { key: "first_citation", label: "first citation", family: "retrieval", source: "retrieval", direction: "higher", meaning: "share of in-scope answers whose first citation is a gold fiche" },
  { key: "out_of_scope_declined", label: "out-of-scope declined", family: "retrieval", source: "out_of_scope", direction: "higher", meaning: "share of out-of-scope questions the assistant declined" },
];

export const ARROWS: Record<Direction, string> = { higher: "↑", lower: "↓", neutral: "↔" };

export const metricsOf = (family: FamilyId): MetricInfo[] => METRICS.filter((m) => m.family === family);

/** A metric's value in a group; out-of-scope figures exist per split only, so they need the split. */
export function metricValue(metric: MetricInfo, figures: GroupFigures, split?: SplitReport): number | null {
  switch (metric.source) {
    case "claims":
      return figures.claims?.[metric.key as keyof typeof figures.claims] ?? null;
    case "retrieval":
      return figures.retrieval[metric.key as keyof typeof figures.retrieval] ?? null;
    case "out_of_scope":
      return split ? split.out_of_scope.declined : null;
  }
}
