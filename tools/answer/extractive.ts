import { analyze } from "../search/analyzer.js";
import { expandQuery } from "../search/query-expansion.js";
import type { Answerer, Citation, Passage, Reply } from "./types.js";

export interface ExtractiveOptions {
  /** Soft limit on the answer length, in words. */
  maxWords: number;
  /** Passages considered, best first. */
  maxPassages: number;
  /** Minimum share of the question's (weighted) terms found in the best passage to answer at all. */
  minCoverage: number;
  /** Distinct words of the question itself (not synonyms) the best passage must contain, when the question has that many. */
  minMatchedTerms: number;
  /** Weight of a term (its rarity); rare terms matter more. Defaults to 1 for every term. */
  termWeight: (term: string) => number;
}

export const DEFAULT_EXTRACTIVE_OPTIONS: ExtractiveOptions = {
  maxWords: 120,
  maxPassages: 8,
  minCoverage: 0.25,
  minMatchedTerms: 2,
  termWeight: () => 1,
};

export const NOT_FOUND_ANSWER =
  "Je n'ai pas trouvé de réponse à cette question dans les fiches de service-public.fr. " +
  "Vous pouvez consulter https://www.service-public.fr ou vous adresser à un espace France Services près de chez vous.";

/** A unit of text that is kept whole: a sentence, or a lead-in line with its list items. */
interface Unit {
  passage: number;
  position: number;
  text: string;
  words: number;
  score: number;
}

const AMOUNT_QUESTION = /\b(prix|co[uû]t|co[uû]te|combien|montant|tarif|payer|frais|gratuit)/i;
const DELAY_QUESTION = /\b(d[ée]lai|combien de temps|quand|dur[ée]e|date|jusqu'?[àa] quel)/i;
const AMOUNT = /\d[\d\s.,]*\s?(€|euros?)/i;
const DELAY = /\b\d+\s?(jours?|mois|ans?|semaines?|heures?|minutes?)\b/i;

/** Offline answerer: picks the sentences of the best passages that share the most with the question. */
export class ExtractiveAnswerer implements Answerer {
  readonly name = "extractive";
  private readonly options: ExtractiveOptions;

  constructor(options: Partial<ExtractiveOptions> = {}) {
    this.options = { ...DEFAULT_EXTRACTIVE_OPTIONS, ...options };
  }

  async answer(question: string, passages: Passage[]): Promise<Reply> {
    return this.answerSync(question, passages);
  }

  answerSync(question: string, passages: Passage[]): Reply {
    const query = expandQuery(question);
    const top = passages.slice(0, this.options.maxPassages);
    if (query.size === 0 || top.length === 0) return notFound();

    const weights = new Map(
      [...query].map(([term, weight]) => [term, Math.min(weight, 1) * Math.max(this.options.termWeight(term), 0.01)]),
    );
    const total = [...weights.values()].reduce((a, b) => a + b, 0);
    const coverage = (tokens: Set<string>) => {
      let sum = 0;
      for (const [term, weight] of weights) if (tokens.has(term)) sum += weight;
      return sum / total;
    };

    const ownTerms = [...query].filter(([, weight]) => weight >= 1).map(([term]) => term);
    const needed = Math.min(this.options.minMatchedTerms, ownTerms.length);
    const passageCoverage = top.map((p) => {
      const tokens = new Set(analyze(`${p.chunk.title} ${p.chunk.path.join(" ")} ${p.chunk.text}`));
      // One rare word shared with a passage is weak evidence for a question of several words.
      const matched = ownTerms.filter((term) => tokens.has(term)).length;
      return matched >= needed ? coverage(tokens) : 0;
    });
    if (Math.max(...passageCoverage) < this.options.minCoverage) return notFound();

    const wantsAmount = AMOUNT_QUESTION.test(question);
    const wantsDelay = DELAY_QUESTION.test(question);
    const units: Unit[] = [];
    const bestCoverage = Math.max(...passageCoverage);
    top.forEach((passage, index) => {
      const coverageOk = passageCoverage[index]! >= Math.max(this.options.minCoverage, 0.75 * bestCoverage);
      // The two best-ranked passages stay eligible whenever they pass the floor: ranking saw more than word overlap.
      const topRanked = index < 2 && passageCoverage[index]! >= this.options.minCoverage;
      if (!coverageOk && !topRanked) return;
      const context = coverage(new Set(analyze(passage.chunk.path.join(" "))));
      splitUnits(passage.chunk.text).forEach((text, position) => {
        const sameFicheAsBest = passage.chunk.ficheId === top[0]!.chunk.ficheId ? 0.1 : 0;
        let score = coverage(new Set(analyze(text))) + 0.3 * context + 0.25 / (index + 1) + sameFicheAsBest;
        if (wantsAmount && AMOUNT.test(text)) score += 0.3;
        if (wantsDelay && DELAY.test(text)) score += 0.3;
        units.push({ passage: index, position, text, words: countWords(text), score });
      });
    });

    const chosen = this.select(units);
    if (chosen.length === 0) return notFound();
    return compose(chosen, top);
  }

  /**
   * Best units first, whole, until the word budget is spent; a unit that repeats one already chosen
   * (the fiches often say the same thing in several places) is dropped.
   */
  private select(units: Unit[]): Unit[] {
    const chosen: Unit[] = [];
    const chosenTerms: Array<Set<string>> = [];
    let words = 0;
    const best = units.filter((u) => u.score > 0.2).sort((a, b) => b.score - a.score || a.passage - b.passage);
    for (const unit of best) {
      if (chosen.length >= 4) break;
      if (chosen.length > 0 && words + unit.words > this.options.maxWords) continue;
      const terms = new Set(analyze(unit.text));
      if (chosenTerms.some((other) => similarity(terms, other) >= NEAR_DUPLICATE)) continue;
      chosen.push(unit);
      chosenTerms.push(terms);
      words += unit.words;
    }
    return chosen;
  }
}

/** Jaccard similarity of two term sets above which a sentence counts as a repeat. */
const NEAR_DUPLICATE = 0.5;

function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const term of a) if (b.has(term)) shared += 1;
  return shared / (a.size + b.size - shared);
}

function notFound(): Reply {
  return { answer: NOT_FOUND_ANSWER, citations: [], found: false };
}

/**
 * Groups the chosen units by passage (best passage first, text order inside); passages of the same
 * fiche share one citation number.
 */
function compose(chosen: Unit[], passages: Passage[]): Reply {
  const order: number[] = [];
  for (const unit of [...chosen].sort((a, b) => b.score - a.score)) {
    if (!order.includes(unit.passage)) order.push(unit.passage);
  }
  const citations: Citation[] = [];
  const paragraphs = order.map((passageIndex) => {
    const passage = passages[passageIndex]!;
    let citation = citations.find((c) => c.id === passage.chunk.ficheId);
    if (!citation) {
      citation = toCitation(citations.length + 1, passage);
      citations.push(citation);
    }
    const text = chosen
      .filter((u) => u.passage === passageIndex)
      .sort((a, b) => a.position - b.position)
      .map((u) => u.text)
      .join("\n");
    return `${text} [${citation.n}]`;
  });
  return { answer: paragraphs.join("\n\n"), citations, found: true };
}

export function toCitation(n: number, passage: Passage): Citation {
  const { chunk } = passage;
  return {
    n,
    id: chunk.ficheId,
    title: chunk.title,
    url: chunk.url,
    date: chunk.date,
    snippet: snippet(chunk.text),
  };
}

function snippet(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  return `${flat.slice(0, max).replace(/\s+\S*$/, "")}…`;
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

const LIST_ITEM = /^\s*(?:-|\d+\.)\s/;

/** Sentences, except that a line ending with ":" stays with the list items that follow it. */
export function splitUnits(text: string): string[] {
  const units: string[] = [];
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (LIST_ITEM.test(line)) {
      const items = [line];
      while (i + 1 < lines.length && LIST_ITEM.test(lines[i + 1]!)) items.push(lines[++i]!);
      units.push(items.join("\n"));
      continue;
    }
    if (line.trim().endsWith(":") && i + 1 < lines.length && LIST_ITEM.test(lines[i + 1]!)) {
      const items = [line];
      while (i + 1 < lines.length && LIST_ITEM.test(lines[i + 1]!)) items.push(lines[++i]!);
      units.push(items.join("\n"));
      continue;
    }
    units.push(...splitSentences(line));
  }
  return units;
}

function splitSentences(line: string): string[] {
  return line
    .split(/(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Ý«"])/u)
    .map((s) => s.trim())
    .filter(Boolean);
}
