import { foldWords } from "../fold.js";
import { readPairs } from "../../lexicon/read.js";

/** Languages the offline glossary translates into French. */
export const GLOSSARY_LANGUAGES = ["en", "es", "pt", "ar", "de", "it"] as const;
export type GlossaryLanguage = (typeof GLOSSARY_LANGUAGES)[number];

export interface GlossaryEntry {
  source: string;
  french: string;
}

/** One `lexicon/glossary/<lang>.tsv` file per language: source phrase, tab, French wording. */
export const GLOSSARY: Record<GlossaryLanguage, GlossaryEntry[]> = Object.fromEntries(
  GLOSSARY_LANGUAGES.map((lang) => [lang, readPairs(`glossary/${lang}.tsv`).map(([source, french]) => ({ source, french }))]),
) as Record<GlossaryLanguage, GlossaryEntry[]>;

export interface PhraseMatch {
  /** Index of the first word matched and how many words. */
  start: number;
  length: number;
  french: string;
}

/** Longest-first phrase matcher over folded words. */
export class PhraseTable {
  private readonly phrases = new Map<string, string>();
  readonly longest: number;

  constructor(entries: GlossaryEntry[]) {
    let longest = 1;
    for (const { source, french } of entries) {
      const key = foldWords(source).join(" ");
      if (key === "") continue;
      longest = Math.max(longest, key.split(" ").length);
      // The first entry for a phrase wins: files list the most useful translation first.
      if (!this.phrases.has(key)) this.phrases.set(key, french);
    }
    this.longest = longest;
  }

  /** Greedy scan: at each word, the longest phrase that starts there; words covered by a match are skipped. */
  match(words: string[]): PhraseMatch[] {
    const found: PhraseMatch[] = [];
    for (let i = 0; i < words.length; ) {
      let hit: PhraseMatch | undefined;
      for (let n = Math.min(this.longest, words.length - i); n >= 1 && !hit; n--) {
        const french = this.phrases.get(words.slice(i, i + n).join(" "));
        if (french !== undefined) hit = { start: i, length: n, french };
      }
      if (hit) {
        found.push(hit);
        i += hit.length;
      } else i += 1;
    }
    return found;
  }
}

let tables: Map<GlossaryLanguage, PhraseTable> | undefined;

/** The phrase table of one language, built once. */
export function phraseTable(lang: GlossaryLanguage): PhraseTable {
  tables ??= new Map(GLOSSARY_LANGUAGES.map((l) => [l, new PhraseTable(GLOSSARY[l])]));
  return tables.get(lang)!;
}

let frenchWords: Set<string> | undefined;

/** Folded words of the glossary's French side: a short question made of them is French. */
export function frenchGlossaryWords(): Set<string> {
  frenchWords ??= new Set(
    GLOSSARY_LANGUAGES.flatMap((l) => GLOSSARY[l].flatMap((e) => foldWords(e.french))).filter((w) => w.length > 2),
  );
  return frenchWords;
}

export function isGlossaryLanguage(lang: string): lang is GlossaryLanguage {
  return (GLOSSARY_LANGUAGES as readonly string[]).includes(lang);
}
