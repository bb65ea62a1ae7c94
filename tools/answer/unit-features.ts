import { z } from "zod";
import { foldWords } from "../lang/fold.js";
import { readJson } from "../lexicon/read.js";
import { BoundedCache, chunkTerms, termsOf } from "./analysis-cache.js";
import type { QuestionClass } from "./question-class.js";
import type { Passage } from "./types.js";
import { unitKinds, type Unit, type UnitKinds } from "./units.js";

/** Names of the unit scorer's features, in the order of its weights (models/unit-scorer.json checks them). */
export const UNIT_FEATURES = [
  "coverage",
  "heading",
  "rank",
  "retrieved",
  "top_fiche",
  "class_match",
  "class_mismatch",
  "list",
  "branch_match",
  "branch_miss",
  "first_in_passage",
  "note",
  "length",
  "definition",
  "warning",
  "intro",
  "unmatched_headings",
  "default_situation",
  "short",
  "own_coverage",
  "density",
] as const;

/**
 * The sign each weight must keep when learnt (+1 a reason to pick the unit, -1 a reason not to, 0 either): the
 * labels are few and partly located by their facts only, so the model may not turn a penalty into a bonus.
 */
export const UNIT_FEATURE_SIGNS: Record<(typeof UNIT_FEATURES)[number], number> = {
  coverage: 1,
  heading: 1,
  rank: 1,
  retrieved: 0,
  top_fiche: 0,
  class_match: 1,
  class_mismatch: -1,
  list: 0,
  branch_match: 1,
  branch_miss: -1,
  first_in_passage: 0,
  note: 0,
  length: 0,
  definition: -1,
  warning: -1,
  intro: 0,
  unmatched_headings: -1,
  default_situation: 1,
  short: 0,
  own_coverage: 1,
  density: 1,
};

/** What each class asks a unit to carry. */
const ASKS: Record<QuestionClass, Array<keyof UnitKinds>> = {
  amount: ["amount"],
  duration: ["duration"],
  date: ["date", "duration"],
  threshold: ["threshold"],
  procedure: ["list", "procedure"],
  where: ["where"],
  eligibility: ["eligibility"],
  consequence: ["consequence"],
  definition: ["definition"],
};
const FIGURES: Array<keyof UnitKinds> = ["amount", "duration", "date", "threshold"];
const DEFAULTS = new Set(
  readJson("default-situations.json", z.object({ headings: z.array(z.string()) })).headings,
);
/** A situation heading that holds the usual case (en France, majeur, cas général…). */
export function isDefaultHeading(heading: string): boolean {
  return defaultHeadings.get(heading, () => DEFAULTS.has(foldWords(heading).join(" ")));
}
const defaultHeadings = new BoundedCache<string, boolean>(20_000);
const NOTE = /^(?:À savoir|À noter|Attention|Rappel|Exemple|Important)\s?:/u;

/** What the scorer knows of the question, computed once. */
export interface QuestionContext {
  questionClass: QuestionClass;
  /** Analysed terms of the question (with synonyms) and their weights. */
  weights: Map<string, number>;
  total: number;
  /** The question's own analysed terms (no synonyms), for matching branch headings. */
  ownTerms: Set<string>;
  /** Weight of the question's own terms, summed. */
  ownTotal: number;
  topFicheId: string;
}

export function coverageOf(context: QuestionContext, tokens: Set<string>): number {
  if (context.total === 0) return 0;
  let sum = 0;
  for (const [term, weight] of context.weights) if (tokens.has(term)) sum += weight;
  return sum / context.total;
}

/** Share of a heading's terms the question holds (0 when the heading has none). */
export function branchMatch(context: QuestionContext, heading: string | undefined): number {
  if (!heading) return 0;
  const terms = [...termsOf(heading)];
  if (terms.length === 0) return 0;
  return terms.filter((t) => context.ownTerms.has(t)).length / terms.length;
}

export function unitFeatures(context: QuestionContext, unit: Unit, passage: Passage, retrieved: boolean): number[] {
  const { chunk } = passage;
  const kinds = unitKinds(unit.text, chunk.path);
  const asked = ASKS[context.questionClass];
  const match = asked.some((k) => kinds[k]);
  const otherFigure = FIGURES.some((k) => !asked.includes(k) && kinds[k]);
  const heading = chunk.path[chunk.path.length - 1];
  const branch = branchMatch(context, heading);
  const unmatched = chunk.path.filter((h) => branchMatch(context, h) === 0).length;
  const defaultSituation = (chunk.situations ?? []).some((level) => isDefaultHeading(chunk.path[level]!)) ? 1 : 0;
  const tokens = termsOf(unit.text);
  const coverage = coverageOf(context, tokens);
  let own = 0;
  for (const term of context.ownTerms) if (tokens.has(term)) own += context.weights.get(term) ?? 0;
  return [
    coverage,
    coverageOf(context, chunkTerms(chunk).heads),
    1 / (passage.rank + 1),
    retrieved ? 1 : 0,
    chunk.ficheId === context.topFicheId ? 1 : 0,
    match ? 1 : 0,
    otherFigure && !match ? 1 : 0,
    kinds.list ? 1 : 0,
    branch,
    heading ? 1 - branch : 0,
    unit.position === 0 ? 1 : 0,
    NOTE.test(unit.text) ? 1 : 0,
    Math.min(unit.words, 120) / 100,
    kinds.definition ? 1 : 0,
    (chunk.path[0] ?? "").startsWith("Avertissement") ? 1 : 0,
    chunk.path.length === 0 ? 1 : 0,
    Math.min(unmatched, 3) / 3,
    defaultSituation,
    unit.words < 8 ? 1 : 0,
    context.ownTotal > 0 ? own / context.ownTotal : 0,
    coverage / Math.sqrt(Math.max(unit.words, 5) / 20),
  ];
}

/**
 * Hand-set weights used when no learnt model is present: term coverage first, then the heading, the passage's
 * rank, the asked kind of fact; definitions and warnings pushed down. `npm run train:answer` learns better ones.
 */
export const HAND_UNIT_WEIGHTS: number[] = [1, 0.3, 0.25, 0, 0.1, 0.3, -0.2, 0, 0.1, 0, 0, -0.05, 0, -1, -0.5, 0, -0.2, 0.1, -0.1, 0, 0];
