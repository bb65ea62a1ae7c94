import { z } from "zod";
import { cueClasses, type QuestionClass } from "../answer/question-class.js";
import { readJson } from "../lexicon/read.js";
import { analyze, foldAccents, words } from "../search/analyzer.js";
import { expandQuery, type TermCorrector } from "../search/query-expansion.js";

const DISCRIMINATORS = readJson(
  "cache-discriminators.json",
  z.object({
    negations: z.array(z.string()),
    numberWords: z.record(z.string(), z.string()),
    situations: z.record(z.string(), z.array(z.string())),
    neutral: z.array(z.string()),
  }),
);
const NEUTRAL = new Set(DISCRIMINATORS.neutral.flatMap((word) => analyze(word)));
const NEGATIONS = new Set(DISCRIMINATORS.negations);
const SITUATION_OF = new Map(
  Object.entries(DISCRIMINATORS.situations).flatMap(([group, list]) => list.map((word) => [word, group] as const)),
);

/**
 * What the semantic cache compares two questions by (`lexicon/cache-discriminators.json`). The weighted terms
 * say what the question is about; the other fields are what a similar wording must not change: what is asked
 * (a price is not a delay), the situations it names (a minor, abroad, a loss, a civil servant…), the numbers
 * (2 children is not 3, 2019 is not 2020) and a negation («je ne suis pas salarié»).
 */
export interface QuestionSignature {
  /** Analysed term → weight (IDF × query weight, synonyms included). */
  terms: Record<string, number>;
  /** The first class the question's cue words give (rules only: deterministic), null without a cue. */
  asked: QuestionClass | null;
  situations: string[];
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
  const folded = words(question).map((w) => foldAccents(w));
  const text = folded.map((w) => DISCRIMINATORS.numberWords[w] ?? w).join(" ");
  const terms: Record<string, number> = {};
  for (const [term, weight] of expandQuery(text, corrector)) {
    // Numbers are compared apart, exactly; neutral words not at all.
    if (!/^\p{N}/u.test(term) && !NEUTRAL.has(term)) terms[term] = weight * termWeight(term);
  }
  return {
    terms,
    asked: cueClasses(question)[0] ?? null,
    situations: [...new Set(folded.map((w) => SITUATION_OF.get(w)).filter((g): g is string => g !== undefined))].sort(),
    numbers: [...new Set(text.split(" ").filter((w) => /^\p{N}/u.test(w)).map((w) => w.replace(/^0+(?=\d)/, "")))].sort(),
    negated: folded.some((w) => NEGATIONS.has(w)),
  };
}

/** Whether what a similar wording must not change is the same in both (what is asked only when both say). */
export function sameDiscriminators(a: QuestionSignature, b: QuestionSignature): boolean {
  return (
    (a.asked === null || b.asked === null || a.asked === b.asked) &&
    a.negated === b.negated &&
    a.numbers.join(",") === b.numbers.join(",") &&
    a.situations.join(",") === b.situations.join(",")
  );
}

/**
 * Weighted Jaccard of the terms (sum of the smaller weights over sum of the larger), or 0 when a discriminator
 * differs. Jaccard rather than cosine: a term only one question has (a qualifier such as «cadre» or
 * «majorée») costs its whole weight, where a cosine forgives it.
 */
export function signatureSimilarity(a: QuestionSignature, b: QuestionSignature): number {
  if (!sameDiscriminators(a, b)) return 0;
  return weightedJaccard(a.terms, b.terms);
}

export function weightedJaccard(a: Record<string, number>, b: Record<string, number>): number {
  let min = 0;
  let max = 0;
  for (const term of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[term] ?? 0;
    const y = b[term] ?? 0;
    min += Math.min(x, y);
    max += Math.max(x, y);
  }
  return max === 0 ? 0 : min / max;
}

export function termCosine(a: Record<string, number>, b: Record<string, number>): number {
  let dot = 0;
  for (const [term, w] of Object.entries(a)) dot += w * (b[term] ?? 0);
  const norm = Math.hypot(...Object.values(a)) * Math.hypot(...Object.values(b));
  return norm === 0 ? 0 : dot / norm;
}

/** The terms that weigh most: where the shared (Redis) index looks for candidates. */
export function heaviestTerms(signature: QuestionSignature, count: number): string[] {
  return Object.entries(signature.terms)
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .slice(0, count)
    .map(([term]) => term);
}
