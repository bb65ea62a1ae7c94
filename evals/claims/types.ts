/**
 * Claim-level evaluation, after the RAGChecker definitions: the answer and the reference answer are split into
 * claims, and each claim is checked against the reference (or the answer) and against every passage.
 */

/** What a checker says of a claim against a premise (a passage, the reference or the answer). */
export type Verdict = "entailed" | "not_entailed";

/** Splits a text into atomic claims and says whether a premise entails each one. */
export interface ClaimChecker {
  /** "offline" or "llm:<model>" (reported with every figure). */
  readonly name: string;
  claims(text: string, question: string): Promise<string[]>;
  /** One verdict per claim, in order. */
  check(claims: string[], premise: string): Promise<Verdict[]>;
}

/** A passage the answerer read, as the report shows it. */
export interface EvalPassage {
  id: string;
  ficheId: string;
  title: string;
  /** Section headings above the passage in its fiche (they carry its conditions: «Vous vivez outre-mer»). */
  path?: string[];
  text: string;
  /** False for passages added by fiche expansion rather than retrieved. */
  retrieved: boolean;
}

/** One answer claim: is it in the reference, and which passages (indices into `passages`) entail it. */
export interface AnswerClaim {
  text: string;
  inReference: boolean;
  inPassages: number[];
}

/** One reference claim: is it in the answer, and which passages entail it. */
export interface ReferenceClaim {
  text: string;
  inAnswer: boolean;
  inPassages: number[];
}

export const CLAIM_METRICS = [
  "precision",
  "recall",
  "f1",
  "claim_recall",
  "context_precision",
  "faithfulness",
  "hallucination",
  "self_knowledge",
  "context_utilization",
  "noise_sensitivity_relevant",
  "noise_sensitivity_irrelevant",
] as const;
export type ClaimMetricName = (typeof CLAIM_METRICS)[number];

/** A question's claim-level scores; null where the metric is undefined (no answer claims, nothing retrieved…). */
export type ClaimScores = Record<ClaimMetricName, number | null>;

/** What the claim-level check of one question produced. */
export interface ClaimOutcome {
  id: string;
  question: string;
  style: string;
  lang: string;
  questionClass?: string;
  answer: string;
  answered: boolean;
  reference: string;
  passages: EvalPassage[];
  answerClaims: AnswerClaim[];
  referenceClaims: ReferenceClaim[];
  scores: ClaimScores;
}

/** Means of the scores over a group of questions (each metric over the questions where it is defined). */
export interface ClaimSummary extends Record<ClaimMetricName, number | null> {
  n: number;
}
