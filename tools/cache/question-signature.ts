import { z } from "zod";
import { classifyQuestion, type QuestionClass } from "../answer/question-class.js";
import { readJson } from "../lexicon/read.js";
import { foldAccents, words } from "../search/analyzer.js";
import { expandQuery, type TermCorrector } from "../search/query-expansion.js";

const DISCRIMINATORS = readJson(
  "cache-discriminators.json",
  z.object({ negations: z.array(z.string()), numberWords: z.record(z.string(), z.string()) }),
);
const NEGATIONS = new Set(DISCRIMINATORS.negations.map((w) => foldAccents(w)));

/**
 * What the semantic cache compares two questions by. The weighted terms say what the question is about; the
 * other fields are what a similar wording must not change: what is asked (a price is not a delay), the numbers
 * (2 children is not 3, 2019 is not 2020) and a negation («je ne suis pas salarié»).
 */
export interface QuestionSignature {
  /** Analysed term → weight (IDF × query weight), L2-normalised. */
  terms: Record<string, number>;
  questionClass: QuestionClass | null;
  numbers: string[];
  negated: boolean;
}

/** The exact layer's form of a question: lower case, accents folded, words only, single spaces. */
export function exactForm(question: string): string {
  return foldAccents(question.normalize("NFKC").toLowerCase()).match(/[\p{L}\p{N}]+/gu)?.join(" ") ?? "";
}

export function questionSignature(
  question: string,
  termWeight: (term: string) => number,
  corrector?: TermCorrector,
): QuestionSignature {
  // «deux enfants» and «2 enfants» are one question: number words become digits first.
  const text = words(question)
    .map((w) => DISCRIMINATORS.numberWords[foldAccents(w)] ?? w)
    .join(" ");
  const folded = words(text).map((w) => foldAccents(w));
  const weights = new Map<string, number>();
  for (const [term, weight] of expandQuery(text, corrector)) {
    // Numbers are compared apart, exactly.
    if (/^\p{N}+$/u.test(term)) continue;
    weights.set(term, weight * termWeight(term));
  }
  const norm = Math.hypot(...weights.values()) || 1;
  const terms = Object.fromEntries([...weights].map(([term, w]) => [term, w / norm]));
  const numbers = [...new Set(folded.filter((w) => /^\p{N}+$/u.test(w)).map((w) => String(Number(w))))].sort();
  return {
    terms,
    questionClass: classifyQuestion(text).questionClass,
    numbers,
    negated: folded.some((w) => NEGATIONS.has(w)),
  };
}

/** Cosine of the weighted terms, or 0 when what is asked, the numbers or the negation differ. */
export function signatureSimilarity(a: QuestionSignature, b: QuestionSignature): number {
  if (a.questionClass !== b.questionClass || a.negated !== b.negated || a.numbers.join(",") !== b.numbers.join(",")) return 0;
  let dot = 0;
  for (const [term, weight] of Object.entries(a.terms)) dot += weight * (b.terms[term] ?? 0);
  return dot;
}

/** The terms that weigh most: where the shared (Redis) index looks for candidates. */
export function heaviestTerms(signature: QuestionSignature, count: number): string[] {
  return Object.entries(signature.terms)
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .slice(0, count)
    .map(([term]) => term);
}
