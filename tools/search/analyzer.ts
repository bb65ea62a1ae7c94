import { stemmer as snowballFrench } from "@orama/stemmers/french";
import { stopwords as frenchStopwords } from "@orama/stopwords/french";
import { z } from "zod";
import { readJson } from "../lexicon/read.js";

/** Removes diacritics: "décès" → "deces". */
export function foldAccents(text: string): string {
  return text.normalize("NFD").replace(/\p{M}+/gu, "");
}

/** Question and filler words that carry no topic (on top of the usual French stop words): `lexicon/question-words.json`. */
const QUESTION_WORDS = readJson("question-words.json", z.array(z.string()));

const STOP = new Set([...frenchStopwords, ...QUESTION_WORDS].map((w) => foldAccents(w.toLowerCase())));
const ELISION = /\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’](?=\p{L})/gu;
const WORD = /[\p{L}\p{N}]+/gu;

/** Splits text into lower-case words with elisions (l', d', qu', j'...) removed; accents kept. */
export function words(text: string): string[] {
  return text.toLowerCase().replace(ELISION, "").match(WORD) ?? [];
}

/** word → its search term, or null for a word that is dropped; memoised (stemming dominates analysis time). */
const termCache = new Map<string, string | null>();
const TERM_CACHE_LIMIT = 200_000;

/**
 * The search term of one lower-case word: null for stop words and single letters, the number itself for
 * numbers, else the Snowball stem of the accent-folded word. Folding first makes "deces" and "décès" one
 * term: users often type without accents.
 */
function termOf(word: string): string | null {
  let term = termCache.get(word);
  if (term === undefined) {
    const folded = foldAccents(word);
    if (STOP.has(folded)) term = null;
    else if (/^\p{N}+$/u.test(word)) term = word;
    else term = folded.length < 2 ? null : snowballFrench(folded);
    if (termCache.size >= TERM_CACHE_LIMIT) termCache.clear();
    termCache.set(word, term);
  }
  return term;
}

/**
 * French analyser for search: lower-casing, elision removal, stop words, accent folding, then light
 * stemming (Snowball French).
 */
export function analyze(text: string): string[] {
  const out: string[] = [];
  for (const word of words(text)) {
    const term = termOf(word);
    if (term !== null) out.push(term);
  }
  return out;
}

export function isStopword(word: string): boolean {
  return STOP.has(foldAccents(word.toLowerCase()));
}
