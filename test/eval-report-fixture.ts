import type { ClaimOutcome, ClaimSummary } from "../evals/claims/types.js";
import type { Metrics } from "../evals/metrics.js";
import { historyEntry } from "../evals/report/history.js";
import type { EvalRunReport, GroupFigures, HistoryEntry, SplitReport } from "../evals/report/types.js";

export const HOSTILE_QUESTION = "Combien coûte un passeport ?</script><img src=x onerror=alert(1)>";

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Plausible figures that differ from group to group: `level` moves every share a little. */
function figures(n: number, level: number, withClaims = true): GroupFigures {
  const share = (base: number) => round(Math.min(1, Math.max(0, base + level)));
  const retrieval: Metrics = {
    n,
    "recall@1": share(0.52),
    "recall@5": share(0.74),
    "recall@10": share(0.81),
    "mrr@10": share(0.62),
    "ndcg@10": share(0.66),
    facts: share(0.3),
    answered: share(0.89),
    first_citation: share(0.5),
    facts_if_retrieved: share(0.36),
    first_citation_if_retrieved: share(0.61),
  };
  const claims: ClaimSummary = {
    n: Math.round(n * 0.8),
    precision: share(0.58),
    recall: share(0.41),
    f1: share(0.45),
    claim_recall: share(0.63),
    context_precision: share(0.47),
    faithfulness: share(0.77),
    hallucination: share(0.09),
    self_knowledge: share(0.06),
    context_utilization: share(0.52),
    noise_sensitivity_relevant: share(0.18),
    noise_sensitivity_irrelevant: share(0.07),
  };
  return { retrieval, claims: withClaims ? claims : null };
}

const passportOutcome: ClaimOutcome = {
  id: "t-017",
  question: HOSTILE_QUESTION,
  style: "citizen",
  lang: "fr",
  questionClass: "amount",
  answer: "Le passeport coûte 86 € pour un adulte.\nLe timbre fiscal s'achète en ligne ou chez un buraliste.",
  answered: true,
  reference: "Le passeport d'un majeur coûte 86 €. Pour un mineur de 15 ans ou plus, il coûte 42 €.",
  passages: [
    {
      id: "F14929#2",
      ficheId: "F14929",
      title: "Passeport : coût du timbre fiscal",
      text: "Le prix du timbre fiscal est de 86 € pour un majeur.\nVoir https://www.service-public.fr/particuliers/vosdroits/F14929",
      retrieved: true,
    },
    { id: "F21091#1", ficheId: "F21091", title: "Carte d'identité : perte", text: "En cas de perte, la carte d'identité coûte 25 € <b>en timbre fiscal</b>.", retrieved: true },
    { id: "F14929#5", ficheId: "F14929", title: "Passeport d'un mineur", text: "Pour un mineur de 15 ans et plus : 42 €.", retrieved: false },
  ],
  answerClaims: [
    { text: "Le passeport coûte 86 € pour un adulte.", inReference: true, inPassages: [0] },
    { text: "Le timbre fiscal s'achète chez un buraliste.", inReference: false, inPassages: [] },
  ],
  referenceClaims: [
    { text: "Le passeport d'un majeur coûte 86 €.", inAnswer: true, inPassages: [0] },
    { text: "Pour un mineur de 15 ans ou plus, il coûte 42 €.", inAnswer: false, inPassages: [2] },
  ],
  scores: {
    precision: 0.5,
    recall: 0.5,
    f1: 0.5,
    claim_recall: 0.5,
    context_precision: 0.5,
    faithfulness: 0.5,
    hallucination: 0.5,
    self_knowledge: 0,
    context_utilization: 0.5,
    noise_sensitivity_relevant: 0,
    noise_sensitivity_irrelevant: 0,
  },
};

const declinedOutcome: ClaimOutcome = {
  id: "t-203",
  question: "Mon employeur peut-il refuser mes congés payés en août ?",
  style: "citizen",
  lang: "fr",
  questionClass: "eligibility",
  answer: "Je n'ai pas trouvé de fiche qui réponde à cette question.",
  answered: false,
  reference: "L'employeur fixe l'ordre des départs en congé. Il peut refuser une date demandée.",
  passages: [{ id: "F2258#0", ficheId: "F2258", title: "Congés payés du salarié", text: "La période de prise des congés payés est fixée par l'employeur.", retrieved: true }],
  answerClaims: [],
  referenceClaims: [
    { text: "L'employeur fixe l'ordre des départs en congé.", inAnswer: false, inPassages: [0] },
    { text: "Il peut refuser une date demandée.", inAnswer: false, inPassages: [] },
  ],
  scores: {
    precision: null,
    recall: 0,
    f1: 0,
    claim_recall: 0.5,
    context_precision: 1,
    faithfulness: null,
    hallucination: null,
    self_knowledge: null,
    context_utilization: 0,
    noise_sensitivity_relevant: null,
    noise_sensitivity_irrelevant: null,
  },
};

function split(name: string, n: number, level: number, worst: ClaimOutcome[]): SplitReport {
  return {
    split: name,
    dataset: `evals/datasets/${name}.jsonl`,
    all: figures(n, level),
    by: {
      style: { citizen: figures(Math.round(n * 0.74), level - 0.04), "look-alike": figures(42, level + 0.02), title: figures(Math.round(n * 0.13), level + 0.15, false) },
      lang: { en: figures(12, level - 0.2), fr: figures(n - 12, level + 0.01) },
      class: {
        amount: figures(14, level - 0.06),
        duration: figures(34, level + 0.05),
        eligibility: figures(128, level - 0.02),
        procedure: figures(49, level + 0.01),
        where: figures(14, level - 0.15),
      },
    },
    out_of_scope: { n: 91, declined: round(0.86 + level) },
    worst,
  };
}

/** Two splits, a few groups per breakdown, two worst questions in the test split (one with markup in it). */
export function sampleReport(): EvalRunReport {
  return {
    version: 1,
    date: "2026-03-14T09:30:00.000Z",
    commit: "1818d34c0ffee5ab",
    checker: "offline",
    answerer: "extractive",
    variant: "rerank-linear",
    snapshot_date: "2020-11",
    splits: [split("test", 324, 0, structuredClone([declinedOutcome, passportOutcome])), split("dev", 419, 0.04, [])],
  };
}

/** Three past runs: the first had no claim figures yet and no dev split, the second another checker. */
export function sampleHistory(): HistoryEntry[] {
  const run = (date: string, commit: string | null, level: number, checker = "offline") => {
    const report = sampleReport();
    report.splits = [split("test", 324, level, []), split("dev", 419, level + 0.03, [])];
    return historyEntry({ ...report, date, commit, checker });
  };
  const first = run("2026-02-20T10:00:00.000Z", null, -0.08);
  delete first.splits.dev;
  for (const key of Object.keys(first.splits.test!)) if (!key.includes("@") && !["facts", "answered", "first_citation", "n"].includes(key)) first.splits.test![key] = null;
  return [first, run("2026-03-01T10:00:00.000Z", "9a232e9aa1", -0.03, "llm:gpt-4o-mini"), run("2026-03-10T10:00:00.000Z", "6aca03c77b", -0.01)];
}
