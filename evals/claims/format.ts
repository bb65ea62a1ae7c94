import { alignedTable } from "../metrics.js";
import type { GroupFigures, SplitReport } from "../report/types.js";
import { CLAIM_METRICS, type ClaimSummary } from "./types.js";

const SHORT: Record<(typeof CLAIM_METRICS)[number], string> = {
  precision: "prec",
  recall: "rec",
  f1: "F1",
  claim_recall: "cl-rec",
  context_precision: "ctx-prec",
  faithfulness: "faith",
  hallucination: "halluc",
  self_knowledge: "self-kn",
  context_utilization: "ctx-util",
  noise_sensitivity_relevant: "noise-rel",
  noise_sensitivity_irrelevant: "noise-irr",
};

const cell = (v: number | null) => (v === null ? "-" : v.toFixed(3));

/** The claim-level figures of a split, overall and per style, language and class, as an aligned text table. */
export function formatClaims(split: SplitReport, checker: string): string {
  const groups: Array<[string, GroupFigures]> = [
    ["all", split.all],
    ...Object.entries(split.by.style).map(([k, g]) => [`style=${k}`, g] as [string, GroupFigures]),
    ...Object.entries(split.by.lang).map(([k, g]) => [`lang=${k}`, g] as [string, GroupFigures]),
    ...Object.entries(split.by.class).map(([k, g]) => [`class=${k}`, g] as [string, GroupFigures]),
  ];
  const rows = groups
    .filter((entry): entry is [string, GroupFigures & { claims: ClaimSummary }] => entry[1].claims !== null)
    .map(([name, g]) => [name, String(g.claims.n), ...CLAIM_METRICS.map((m) => cell(g.claims[m]))]);
  if (rows.length === 0) return "claims: no question of this split has a reference answer";
  return [
    `claim-level metrics (checker: ${checker}; questions with a reference answer)`,
    ...alignedTable(["group", "n", ...CLAIM_METRICS.map((m) => SHORT[m])], rows, 1),
    "prec/rec/F1: answer claims in the reference / reference claims in the answer; cl-rec, ctx-prec: retrieval; faith, halluc, self-kn, ctx-util, noise: generator (halluc and noise: lower is better)",
  ].join("\n");
}
