import type { Chunk, ChunkAction } from "../../corpus/chunk.js";
import { chunkTerms, termsOf } from "./analysis-cache.js";
import { expandQuery } from "../search/query-expansion.js";
import { composeReply, type ChosenUnit } from "./compose.js";
import { classifyQuestion, type QuestionClass } from "./question-class.js";
import { loadScopeModel, outOfScopeProbability, type RetrievalSignals, type ScopeModel } from "./scope.js";
import type { Answerer, Passage, Reply } from "./types.js";
import { branchMatch, coverageOf, isDefaultHeading, UNIT_FEATURES, unitFeatures, type QuestionContext } from "./unit-features.js";
import { loadUnitWeights } from "./unit-scorer.js";
import { passageUnits, type Unit } from "./units.js";

export { toCitation } from "./compose.js";
export { splitUnits } from "./units.js";

export interface ExtractiveOptions {
  /** Soft limit on the answer's length, in words (the unit holding the fact is always kept whole). */
  maxWords: number;
  /** Retrieved passages considered, best first. */
  maxPassages: number;
  /** Minimum share of the question's (weighted) terms found in the best passage to answer at all. */
  minCoverage: number;
  /** Distinct words of the question itself (not synonyms) the best passage must contain, when the question has that many. */
  minMatchedTerms: number;
  /** Weight of a term (its rarity); rare terms matter more. Defaults to 1 for every term. */
  termWeight: (term: string) => number;
  /** Every chunk of a fiche, in order: the best fiches are read whole (branches, the unit that holds the fact). */
  ficheChunks?: (ficheId: string) => Chunk[];
  /** How many of the best fiches are read whole when `ficheChunks` is given. */
  expandFiches: number;
  /** Weights of the unit scorer (tools/answer/unit-features.ts); the learnt ones by default. */
  unitWeights: number[];
  /** Give the short answer of each situation when the fiche branches and the question does not say which. */
  branches: boolean;
  /** Declines questions it reads as outside French public services (the learnt one by default; null: none). */
  scopeModel: ScopeModel | null;
}

export const DEFAULT_EXTRACTIVE_OPTIONS: Omit<ExtractiveOptions, "unitWeights" | "scopeModel"> = {
  maxWords: 90,
  maxPassages: 8,
  minCoverage: 0.25,
  minMatchedTerms: 2,
  termWeight: () => 1,
  expandFiches: 1,
  branches: true,
};

export const NOT_FOUND_ANSWER =
  "Je n'ai pas trouvé de réponse à cette question dans les fiches de service-public.fr. " +
  "Vous pouvez consulter https://www.service-public.fr ou vous adresser à un espace France Services près de chez vous.";

/** A unit with its score and features. */
export interface ScoredUnit extends Unit {
  score: number;
  features: number[];
}

/** Units a multi-situation answer quotes at most (one per situation). */
const MAX_BRANCHES = 4;
/** Supporting units after the one that holds the point. */
const MAX_SUPPORT = 2;
/** Jaccard similarity of two term sets above which a sentence counts as a repeat. */
const NEAR_DUPLICATE = 0.5;

/**
 * Offline answerer. It works out what the question asks (amount, delay, documents, office…), scores every unit
 * (sentence or list) of the best passages — and of the best fiches read whole — with a linear model learnt on
 * labelled dev questions, opens with the unit that holds the asked fact, adds at most two supporting units, and
 * when the fiche branches by situation without the question saying which, gives each situation's short answer,
 * labelled. Online services and offices go to `actions`, definitions only to "what does X mean" questions.
 */
export class ExtractiveAnswerer implements Answerer {
  readonly name = "extractive";
  readonly options: ExtractiveOptions;

  constructor(options: Partial<ExtractiveOptions> = {}) {
    this.options = {
      ...DEFAULT_EXTRACTIVE_OPTIONS,
      unitWeights: options.unitWeights ?? loadUnitWeights().weights,
      scopeModel: options.scopeModel === undefined ? loadScopeModel() : options.scopeModel,
      ...options,
    };
  }

  async answer(question: string, passages: Passage[]): Promise<Reply> {
    return this.answerSync(question, passages);
  }

  /** The retrieved passages plus the other chunks of the best fiches (marked `expanded`, at their fiche's rank). */
  expand(passages: Passage[]): Passage[] {
    const top = passages.filter((p) => !p.expanded).slice(0, this.options.maxPassages);
    const { ficheChunks, expandFiches } = this.options;
    if (!ficheChunks || expandFiches <= 0) return top;
    const have = new Set(top.map((p) => p.chunk.id));
    const fiches = [...new Set(top.map((p) => p.chunk.ficheId))].slice(0, expandFiches);
    const extra: Passage[] = [];
    for (const ficheId of fiches) {
      const rank = top.find((p) => p.chunk.ficheId === ficheId)!.rank;
      for (const chunk of ficheChunks(ficheId)) {
        if (!have.has(chunk.id)) extra.push({ chunk, score: 0, rank, expanded: true });
      }
    }
    return [...top, ...extra];
  }

  answerSync(question: string, pool: Passage[]): Reply {
    const scored = this.scoreUnits(question, pool);
    if (!scored) return notFound();
    const { units, context } = scored;
    if (units.length === 0) return notFound();
    const chosen = this.choose(units, pool, context);
    return composeReply(chosen, pool, context.questionClass, actionsOf(chosen, pool));
  }

  /** What the question asks and how well the retrieved passages cover it; null when there is nothing to match. */
  readRetrieval(question: string, pool: Passage[]) {
    const retrieved = pool.filter((p) => !p.expanded).slice(0, this.options.maxPassages);
    const query = expandQuery(question);
    if (query.size === 0 || retrieved.length === 0) return null;
    const weights = new Map(
      [...query].map(([term, weight]) => [term, Math.min(weight, 1) * Math.max(this.options.termWeight(term), 0.01)]),
    );
    const ownTerms = [...query].filter(([, weight]) => weight >= 1).map(([term]) => term);
    const context: QuestionContext = {
      questionClass: classifyQuestion(question).questionClass,
      weights,
      total: [...weights.values()].reduce((a, b) => a + b, 0),
      ownTerms: new Set(ownTerms),
      ownTotal: ownTerms.reduce((sum, term) => sum + (weights.get(term) ?? 0), 0),
      topFicheId: retrieved[0]!.chunk.ficheId,
    };
    const needed = Math.min(this.options.minMatchedTerms, ownTerms.length);
    const passageCoverage = retrieved.map((p) => {
      const tokens = chunkTerms(p.chunk).whole;
      // One rare word shared with a passage is weak evidence for a question of several words.
      const matched = ownTerms.filter((term) => tokens.has(term)).length;
      return matched >= needed ? coverageOf(context, tokens) : 0;
    });
    const bestCoverage = Math.max(...passageCoverage);
    const signals = retrievalSignals(context, retrieved[passageCoverage.indexOf(bestCoverage)]!, bestCoverage, ownTerms);
    return { context, retrieved, passageCoverage, bestCoverage, signals };
  }

  /**
   * Every eligible unit with its features and score, best first; null when the retrieved passages do not cover
   * the question well enough to answer at all.
   */
  scoreUnits(question: string, pool: Passage[]): { units: ScoredUnit[]; context: QuestionContext } | null {
    const read = this.readRetrieval(question, pool);
    if (!read || read.bestCoverage < this.options.minCoverage) return null;
    const { context, retrieved, passageCoverage, bestCoverage } = read;
    const { scopeModel } = this.options;
    if (scopeModel && outOfScopeProbability(scopeModel, question, read.signals) >= scopeModel.threshold) return null;

    const eligible = new Set<number>();
    pool.forEach((passage, index) => {
      const r = retrieved.indexOf(passage);
      if (r < 0) {
        if (passage.expanded) eligible.add(index);
        return;
      }
      const coverageOk = passageCoverage[r]! >= Math.max(this.options.minCoverage, 0.75 * bestCoverage);
      // The two best-ranked passages stay eligible whenever they pass the floor: ranking saw more than word overlap.
      const topRanked = r < 2 && passageCoverage[r]! >= this.options.minCoverage;
      if (coverageOk || topRanked) eligible.add(index);
    });
    const wantsDefinition = context.questionClass === "definition";
    const units = passageUnits(pool)
      .filter((u) => eligible.has(u.passage))
      .filter((u) => wantsDefinition || pool[u.passage]!.chunk.path[0] !== "Définitions")
      .map((u) => {
        const features = unitFeatures(context, u, pool[u.passage]!, !pool[u.passage]!.expanded);
        return { ...u, features, score: dot(this.options.unitWeights, features) };
      })
      .sort((a, b) => b.score - a.score || a.passage - b.passage || a.position - b.position);
    return { units, context };
  }

  /** The point first, then either each situation's short answer or up to two supporting units. */
  private choose(units: ScoredUnit[], pool: Passage[], context: QuestionContext): ChosenUnit[] {
    const point = units[0]!;
    if (this.options.branches) {
      const branches = branchUnits(point, units, pool, context);
      if (branches) return branches;
    }
    const chosen: ChosenUnit[] = [{ unit: point }];
    const terms = [termsOf(point.text)];
    let words = point.words;
    const fiches = new Set([pool[point.passage]!.chunk.ficheId]);
    for (const unit of units.slice(1, 8)) {
      if (chosen.length > MAX_SUPPORT) break;
      if (words + unit.words > this.options.maxWords) continue;
      if (unit.features[0]! < 0.1) continue; // shares too little with the question to support it
      const ficheId = pool[unit.passage]!.chunk.ficheId;
      if (!fiches.has(ficheId) && fiches.size >= 2) continue;
      const own = termsOf(unit.text);
      if (terms.some((other) => similarity(own, other) >= NEAR_DUPLICATE)) continue;
      chosen.push({ unit });
      terms.push(own);
      fiches.add(ficheId);
      words += unit.words;
    }
    return chosen;
  }
}

/**
 * When the point's fiche branches by situation (majeur / mineur, en France / à l'étranger…) and the question does
 * not say which applies: the best unit of each situation, labelled with its heading, at the shallowest situation
 * level on the point's way. A level whose heading the question names, or a chapter, is followed down instead.
 * Null when that does not apply.
 */
function branchUnits(point: ScoredUnit, units: ScoredUnit[], pool: Passage[], context: QuestionContext): ChosenUnit[] | null {
  const chunkOf = (u: ScoredUnit) => pool[u.passage]!.chunk;
  const pointPath = chunkOf(point).path;
  const inFiche = units.filter((u) => chunkOf(u).ficheId === chunkOf(point).ficheId);
  let prefix: string[] = [];
  // A point in the fiche's introduction ("le prix dépend de l'âge…") leads the situations' lines.
  const lead: ChosenUnit[] = pointPath.length === 0 ? [{ unit: point }] : [];
  for (let depth = 1; depth <= Math.max(pointPath.length, 1); depth++) {
    const under = inFiche.filter((u) => chunkOf(u).path.length >= depth && prefix.every((h, i) => chunkOf(u).path[i] === h));
    const situationHeadings = [
      ...new Set(under.filter((u) => chunkOf(u).situations?.includes(depth - 1)).map((u) => chunkOf(u).path[depth - 1]!)),
    ];
    const named = situationHeadings.filter((h) => branchMatch(context, h) >= 0.5);
    if (situationHeadings.length < 2 || named.length === 1) {
      const next = named[0] ?? pointPath[depth - 1];
      if (next === undefined) return null;
      prefix = [...prefix, next];
      continue;
    }
    if (named.length > 1) return null;
    const lines = situationHeadings
      .map((heading) => ({ heading, unit: bestOfSituation(under.filter((u) => chunkOf(u).path[depth - 1] === heading), depth, pool) }))
      .sort((a, b) => chunkOrder(chunkOf(a.unit).id) - chunkOrder(chunkOf(b.unit).id))
      .slice(0, MAX_BRANCHES)
      .map(({ heading, unit }) => ({ unit, label: heading }));
    return [...lead, ...lines];
  }
  return null;
}

/**
 * The best unit of one situation. A unit under a deeper situation that has alternatives (en métropole / outre-mer /
 * à l'étranger) is kept only when that situation is the usual case; if nothing is left, the best unit of all.
 */
function bestOfSituation(units: ScoredUnit[], depth: number, pool: Passage[]): ScoredUnit {
  const alternatives = new Map<string, Set<string>>();
  const deeper = (u: ScoredUnit) => (pool[u.passage]!.chunk.situations ?? []).filter((level) => level >= depth);
  for (const u of units) {
    const { path } = pool[u.passage]!.chunk;
    for (const level of deeper(u)) {
      const parent = path.slice(0, level).join(" > ");
      alternatives.set(parent, (alternatives.get(parent) ?? new Set()).add(path[level]!));
    }
  }
  const usual = units.filter((u) => {
    const { path } = pool[u.passage]!.chunk;
    return deeper(u).every((level) => (alternatives.get(path.slice(0, level).join(" > "))?.size ?? 0) < 2 || isDefaultHeading(path[level]!));
  });
  const candidates = usual.length > 0 ? usual : units;
  // Each situation's line should carry what was asked (its amount, its delay…) when one of its units does.
  return candidates.find((u) => u.features[CLASS_MATCH]! > 0) ?? candidates[0]!;
}

const CLASS_MATCH = UNIT_FEATURES.indexOf("class_match");

/** What the scope model reads of the retrieval, from the passage that covers the question best. */
export function retrievalSignals(context: QuestionContext, best: Passage, bestCoverage: number, ownTerms: string[]): RetrievalSignals {
  const tokens = chunkTerms(best.chunk).whole;
  return {
    bestCoverage,
    titleCoverage: coverageOf(context, chunkTerms(best.chunk).title),
    ownTerms: ownTerms.length,
    matchedTerms: ownTerms.filter((t) => tokens.has(t)).length,
  };
}

function chunkOrder(id: string): number {
  return Number(id.slice(id.lastIndexOf("#") + 1));
}

/** The actions (online services, forms, offices) of the chunks the chosen units come from, then of their fiches. */
function actionsOf(chosen: ChosenUnit[], pool: Passage[]): ChunkAction[] {
  const fiches = [...new Set(chosen.map((c) => pool[c.unit.passage]!.chunk.ficheId))];
  const own = chosen.flatMap((c) => pool[c.unit.passage]!.chunk.actions ?? []);
  const sameFiche = pool.filter((p) => fiches.includes(p.chunk.ficheId)).flatMap((p) => p.chunk.actions ?? []);
  const out: ChunkAction[] = [];
  for (const action of [...own, ...sameFiche]) {
    if (out.length >= 4) break;
    if (!out.some((a) => a.url === action.url)) out.push(action);
  }
  return out;
}

function dot(weights: number[], features: number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += weights[i]! * (features[i] ?? 0);
  return sum;
}

function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const term of a) if (b.has(term)) shared += 1;
  return shared / (a.size + b.size - shared);
}

export function notFound(): Reply {
  return { answer: NOT_FOUND_ANSWER, citations: [], found: false, actions: [] };
}

export type { QuestionClass };
