import { foldWords } from "./fold.js";
import { frenchGlossaryWords, isGlossaryLanguage, phraseTable } from "./glossary/index.js";

export interface QueryTranslation {
  /** French keywords for retrieval (the question itself when nothing was translated). */
  query: string;
  /** Glossary phrases matched. */
  matched: number;
  /** Words translated by the dictionary word lists (words the glossary does not know). */
  fromDictionary: number;
}

/** Dictionary translations kept per foreign word: the first ones are the usual senses. */
const DICTIONARY_SENSES = 2;

/**
 * Glossary translations that say what is asked about a subject, not the subject: a question where the glossary
 * found only these ("How do I apply for a green card?" → "demande") is left as it is, so that it is declined
 * rather than answered from any fiche about a "demande".
 */
const GENERIC = new Set(
  [
    "demande", "prix", "prix coût", "combien prix", "prix combien", "délai", "délai durée", "montant", "gratuit",
    "renouvellement", "perte", "vol", "échange", "changement", "formulaire", "rendez-vous", "pièces justificatives",
    "adresse", "portefeuille papiers",
  ],
);

/** Acronyms and numbers are kept as they are: "APL", "CAF", "2024" mean the same in every language. */
const KEEP = /^(?:\p{Lu}{2,6}|\d+(?:[.,]\d+)?)$/u;

/**
 * Offline translation of a question's key terms into French with the glossary: the French terms of the
 * phrases found (longest first), plus acronyms, numbers and French administrative words the user typed as
 * they are ("carte de séjour"). Other words are dropped, since a French index cannot match them anyway.
 */
export function translateQueryOffline(question: string, language: string, dictionary?: Record<string, string[]>): QueryTranslation {
  if (!isGlossaryLanguage(language)) return { query: question, matched: 0, fromDictionary: 0 };
  const folded = foldWords(question);
  const matches = phraseTable(language).match(folded);
  const french = frenchGlossaryWords();
  const kept = (question.match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (token) => KEEP.test(token) || french.has(foldWords(token)[0] ?? ""),
  );
  // Words no glossary phrase covers, looked up in the dictionary word lists (FreeDict, read at ingest time).
  const covered = new Set(matches.flatMap((m) => Array.from({ length: m.length }, (_, i) => m.start + i)));
  const looked = dictionary
    ? folded.flatMap((word, i) => (covered.has(i) ? [] : (dictionary[word] ?? []).slice(0, DICTIONARY_SENSES)))
    : [];
  const dictionaryWords = [...new Set(looked.flatMap((t) => t.split(" ")))];
  const substantive = matches.some((m) => !GENERIC.has(m.french)) || kept.length > 0 || dictionaryWords.length >= 2;
  if (!substantive) return { query: question, matched: 0, fromDictionary: 0 };
  const dedupe = (terms: string[], seen: Set<string>) =>
    terms
      .flatMap((term) => term.split(" "))
      .filter((word) => {
        const key = foldWords(word).join(" ");
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  const words = dedupe([...matches.map((m) => m.french), ...kept], new Set());
  // The hand glossary's words count twice (a repeated query word weighs double): dictionary noise must not drown them.
  const extra = dedupe(dictionaryWords, new Set(words.map((w) => foldWords(w).join(" "))));
  const query = [...words, ...(extra.length > 0 ? words : []), ...extra].join(" ");
  return { query, matched: matches.length, fromDictionary: extra.length };
}
