import { createRequire } from "node:module";
import { analyze, foldAccents } from "./analyzer.js";

/**
 * Typo tolerance for queries: a search term the index has never seen ("demenagment", "lassurance") is
 * replaced by a term it knows. A correct French word the corpus happens not to use ("ravoir", "plaît") is left
 * alone. A word glued to a dropped elision ("lassurance", "jenvoie") loses its first letter; otherwise the
 * closest known term wins: same first letter (typos there are rare, and it keeps the scan small), within edit
 * distance 1 (2 for long terms, transpositions counting as one edit), ties to the term in more documents.
 */

/** Terms shorter than this are left alone: too many known terms lie one edit away from them. */
const MIN_LENGTH = 5;
/** From this length on, two edits are allowed. */
const TWO_EDITS_FROM = 8;

interface KnownTerm {
  term: string;
  frequency: number;
}

let dictionary: Set<string> | undefined;

/** Accent-folded, lower-case French words (a ~336,000-word list), loaded on first use. */
function frenchWords(): Set<string> {
  if (!dictionary) {
    const require = createRequire(import.meta.url);
    const path = require.resolve("an-array-of-french-words");
    dictionary = new Set((require(path) as string[]).map((word) => foldAccents(word.toLowerCase())));
    // The Set is all we need: let the module's own copy of the list be collected.
    delete require.cache[path];
  }
  return dictionary;
}

/** Letters a dropped apostrophe leaves glued to the next word (l'assurance → lassurance). */
const ELIDED = /^(?:qu|[cdjlmnst])(?=[aeiouyh])/;

export class SpellingCorrector {
  /** Known terms by first letter and length ("p8" → terms of 8 letters starting with p). */
  private readonly buckets = new Map<string, KnownTerm[]>();
  private readonly corrections = new Map<string, string | null>();

  /** `frequencies`: each known term with the number of documents it appears in. */
  constructor(
    private readonly frequencies: ReadonlyMap<string, number>,
    /** Candidates found in fewer documents are not proposed (a rare known term is often a typo itself). */
    private readonly minFrequency = 5,
  ) {
    for (const [term, frequency] of frequencies) {
      if (frequency < minFrequency || term.length < MIN_LENGTH - 1) continue;
      const key = bucketKey(term[0]!, term.length);
      const bucket = this.buckets.get(key);
      if (bucket) bucket.push({ term, frequency });
      else this.buckets.set(key, [{ term, frequency }]);
    }
  }

  /**
   * The known term to search instead of `term` (the search term of the lower-case `word`), or undefined when
   * it is known, too short, a French word, or nothing is close.
   */
  correct(word: string, term: string): string | undefined {
    if (term.length < MIN_LENGTH || this.frequencies.has(term) || /\d/.test(term)) return undefined;
    let found = this.corrections.get(word);
    if (found === undefined) {
      found = this.fix(foldAccents(word), term);
      if (this.corrections.size >= 10_000) this.corrections.clear();
      this.corrections.set(word, found);
    }
    return found ?? undefined;
  }

  private fix(folded: string, term: string): string | null {
    if (frenchWords().has(folded)) return null;
    const elided = ELIDED.exec(folded);
    if (elided) {
      const rest = analyze(folded.slice(elided[0].length))[0];
      if (rest !== undefined && this.frequencies.has(rest)) return rest;
    }
    return this.closest(term);
  }

  private closest(term: string): string | null {
    const maxEdits = term.length >= TWO_EDITS_FROM ? 2 : 1;
    let best: KnownTerm | null = null;
    let bestDistance = maxEdits + 1;
    for (let length = term.length - maxEdits; length <= term.length + maxEdits; length++) {
      for (const known of this.buckets.get(bucketKey(term[0]!, length)) ?? []) {
        const distance = boundedEditDistance(term, known.term, Math.min(bestDistance, maxEdits));
        if (distance < bestDistance || (distance === bestDistance && best !== null && known.frequency > best.frequency)) {
          if (distance > maxEdits) continue;
          best = known;
          bestDistance = distance;
        }
      }
    }
    return best?.term ?? null;
  }
}

function bucketKey(first: string, length: number): string {
  return `${first}${length}`;
}

/**
 * Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent transpositions) between a
 * and b, or max + 1 as soon as it is known to exceed max.
 */
export function boundedEditDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before = new Array<number>(b.length + 1);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return Math.min(previous[b.length]!, max + 1);
}
