import { analyze, foldAccents, words } from "./analyzer.js";
import { CITIZEN_TO_OFFICIAL } from "./thesaurus.js";


interface ThesaurusEntry {
  words: string[];
  official: string;
  terms: string[];
  /**
   * The citizen's words mean something else in the fiches ("rendre ma caution" is the deposit, not a guarantor):
   * the official wording counts as the user's own words and the covered words count less (a "=" before the value).
   */
  replaces: boolean;
  /** Terms of the covered words, for a replacing entry. */
  keyTerms: string[];
}

/** Search terms of the thesaurus' keys: citizen words the expansion already handles, never "corrected". */
const KEY_TERMS = new Set(Object.keys(CITIZEN_TO_OFFICIAL).flatMap((key) => analyze(key)));

/** Entries by their first word, so a question is matched in one pass over its words. */
const BY_FIRST_WORD = new Map<string, ThesaurusEntry[]>();
for (const [key, official] of Object.entries(CITIZEN_TO_OFFICIAL)) {
  const words = foldedWords(key);
  const list = BY_FIRST_WORD.get(words[0]!) ?? [];
  const replaces = official.startsWith("=");
  const wording = replaces ? official.slice(1).trim() : official;
  list.push({ words, official: wording, terms: analyze(wording), replaces, keyTerms: replaces ? analyze(key) : [] });
  BY_FIRST_WORD.set(words[0]!, list);
}

function foldedWords(text: string): string[] {
  return foldAccents(text.toLowerCase()).split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "");
}

/**
 * Thesaurus entries whose words appear in the question, as whole words in a row, in the table's order; an entry
 * matched inside a longer one is left out ("combien de temps" is a delay, so "combien" does not add "coût").
 */
function matchingEntries(question: string): ThesaurusEntry[] {
  const words = foldedWords(question);
  const spans: Array<{ entry: ThesaurusEntry; start: number; end: number }> = [];
  words.forEach((word, i) => {
    for (const entry of BY_FIRST_WORD.get(word) ?? []) {
      if (entry.words.every((w, j) => words[i + j] === w)) spans.push({ entry, start: i, end: i + entry.words.length });
    }
  });
  const inside = (a: (typeof spans)[number]) =>
    spans.some((b) => b !== a && b.end - b.start > a.end - a.start && b.start <= a.start && a.end <= b.end);
  return [...new Set(spans.filter((s) => !inside(s)).map((s) => s.entry))];
}

/** Weight of an added term relative to a term the user wrote. */
export const EXPANSION_WEIGHT = 0.7;
/** Weight left to the user's words that a replacing entry covers. */
export const REPLACED_WEIGHT = 0.3;

/** Replaces the term of a word the index does not know by a known one (typo tolerance), or leaves it (undefined). */
export interface TermCorrector {
  correct(word: string, term: string): string | undefined;
}

/**
 * Query terms with weights: the question's own terms (1 each occurrence; a misspelt one replaced by the
 * corrector's term), plus official synonyms.
 */
export function expandQuery(question: string, corrector?: TermCorrector): Map<string, number> {
  const weights = new Map<string, number>();
  for (const word of words(question)) {
    const written = analyze(word)[0];
    if (written === undefined) continue;
    const corrected = corrector && !KEY_TERMS.has(written) ? corrector.correct(word, written) : undefined;
    const term = corrected ?? written;
    weights.set(term, (weights.get(term) ?? 0) + 1);
  }
  const entries = matchingEntries(question);
  for (const { terms, replaces } of entries) {
    for (const term of terms) if (replaces || !weights.has(term)) weights.set(term, replaces ? 1 : EXPANSION_WEIGHT);
  }
  for (const { keyTerms, terms } of entries) {
    for (const term of keyTerms) if (!terms.includes(term) && weights.has(term)) weights.set(term, REPLACED_WEIGHT);
  }
  return weights;
}

/** The question followed by the official wording of what it says (what the dense leg embeds). */
export function expandQuestionText(question: string): string {
  const official = matchingEntries(question).map((entry) => entry.official);
  return official.length === 0 ? question : `${question} ${official.join(" ")}`;
}
