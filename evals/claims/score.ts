import type { AnswerClaim, ClaimChecker, ClaimOutcome, ClaimScores, ClaimSummary, EvalPassage, ReferenceClaim, Verdict } from "./types.js";
import { CLAIM_METRICS } from "./types.js";

/** A question as the claim check sees it: the outcome before its claims are split and checked. */
export type ClaimInput = Omit<ClaimOutcome, "answerClaims" | "referenceClaims" | "scores">;

/** What a claim is checked against: the passage under its fiche title and section headings, as the answerer read it. */
export const premiseText = (p: EvalPassage) => `${[p.title, ...(p.path ?? [])].join(" > ")}\n${p.text}`;

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
const entailedBy = (verdicts: Verdict[][], claim: number) =>
  verdicts.flatMap((perPassage, p) => (perPassage[claim] === "entailed" ? [p] : []));

/**
 * The RAGChecker metrics of one question from its claims' verdicts. Retrieval figures look at the retrieved
 * passages only; the generator's at every passage the answerer read (retrieved and expanded). A declined
 * question has no answer claims: recall and F1 are 0, the per-claim ratios undefined.
 */
export function scoreClaims(answerClaims: AnswerClaim[], referenceClaims: ReferenceClaim[], passages: EvalPassage[], answered: boolean): ClaimScores {
  const retrieved = new Set(passages.flatMap((p, i) => (p.retrieved ? [i] : [])));
  const relevant = new Set(referenceClaims.flatMap((c) => c.inPassages));
  const n = answerClaims.length;
  const correct = answerClaims.filter((c) => c.inReference);
  const wrong = answerClaims.filter((c) => !c.inReference);
  const precision = ratio(correct.length, n);
  const recall = answered ? ratio(referenceClaims.filter((c) => c.inAnswer).length, referenceClaims.length) : referenceClaims.length ? 0 : null;
  const f1 = recall === null ? null : precision === null || precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const inContext = referenceClaims.filter((c) => c.inPassages.length > 0);
  return {
    precision,
    recall,
    f1,
    claim_recall: ratio(referenceClaims.filter((c) => c.inPassages.some((p) => retrieved.has(p))).length, referenceClaims.length),
    context_precision: ratio([...retrieved].filter((p) => relevant.has(p)).length, retrieved.size),
    faithfulness: ratio(answerClaims.filter((c) => c.inPassages.length > 0).length, n),
    hallucination: ratio(wrong.filter((c) => c.inPassages.length === 0).length, n),
    self_knowledge: ratio(correct.filter((c) => c.inPassages.length === 0).length, n),
    context_utilization: ratio(inContext.filter((c) => c.inAnswer).length, inContext.length),
    noise_sensitivity_relevant: ratio(wrong.filter((c) => c.inPassages.some((p) => relevant.has(p))).length, n),
    noise_sensitivity_irrelevant: ratio(wrong.filter((c) => c.inPassages.some((p) => !relevant.has(p))).length, n),
  };
}

/** Splits the answer and the reference into claims and checks each one against the other text and every passage. */
export async function checkQuestion(input: ClaimInput, checker: ClaimChecker): Promise<ClaimOutcome> {
  const answerTexts = input.answered ? await checker.claims(input.answer, input.question) : [];
  const referenceTexts = await checker.claims(input.reference, input.question);
  const [answerInReference, referenceInAnswer, answerInPassages, referenceInPassages] = await Promise.all([
    answerTexts.length ? checker.check(answerTexts, input.reference) : Promise.resolve([]),
    referenceTexts.length && input.answered ? checker.check(referenceTexts, input.answer) : Promise.resolve(referenceTexts.map((): Verdict => "not_entailed")),
    Promise.all(input.passages.map((p) => (answerTexts.length ? checker.check(answerTexts, premiseText(p)) : Promise.resolve([])))),
    Promise.all(input.passages.map((p) => (referenceTexts.length ? checker.check(referenceTexts, premiseText(p)) : Promise.resolve([])))),
  ]);
  const answerClaims = answerTexts.map((text, i) => ({ text, inReference: answerInReference[i] === "entailed", inPassages: entailedBy(answerInPassages, i) }));
  const referenceClaims = referenceTexts.map((text, i) => ({ text, inAnswer: referenceInAnswer[i] === "entailed", inPassages: entailedBy(referenceInPassages, i) }));
  return {
    id: input.id,
    question: input.question,
    style: input.style,
    lang: input.lang,
    ...(input.questionClass ? { questionClass: input.questionClass } : {}),
    answer: input.answer,
    answered: input.answered,
    reference: input.reference,
    passages: input.passages,
    answerClaims,
    referenceClaims,
    scores: scoreClaims(answerClaims, referenceClaims, input.passages, input.answered),
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Each metric's mean over the questions where it is defined (null when it is defined for none). */
export function summarizeClaims(outcomes: ClaimOutcome[]): ClaimSummary {
  const summary = { n: outcomes.length } as ClaimSummary;
  for (const metric of CLAIM_METRICS) {
    const values = outcomes.map((o) => o.scores[metric]).filter((v): v is number => v !== null);
    summary[metric] = values.length ? round(values.reduce((a, b) => a + b, 0) / values.length) : null;
  }
  return summary;
}

/** Metrics where lower is better. */
export const LOWER_IS_BETTER = new Set<string>(["hallucination", "noise_sensitivity_relevant", "noise_sensitivity_irrelevant"]);

/** The worst questions first: lowest F1, then lowest faithfulness. */
export function worstQuestions(outcomes: ClaimOutcome[], count = 20): ClaimOutcome[] {
  const key = (o: ClaimOutcome) => [o.scores.f1 ?? 0, o.scores.faithfulness ?? 1] as const;
  return [...outcomes]
    .sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1] || a.id.localeCompare(b.id))
    .slice(0, count);
}
