import { foldWords } from "./fold.js";
import { frenchGlossaryWords, isGlossaryLanguage, phraseTable } from "./glossary/index.js";

export interface QueryTranslation {
  /** French keywords for retrieval (the question itself when nothing was translated). */
  query: string;
  /** Glossary phrases matched. */
  matched: number;
}

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
export function translateQueryOffline(question: string, language: string): QueryTranslation {
  if (!isGlossaryLanguage(language)) return { query: question, matched: 0 };
  const matches = phraseTable(language).match(foldWords(question));
  const french = frenchGlossaryWords();
  const kept = (question.match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (token) => KEEP.test(token) || french.has(foldWords(token)[0] ?? ""),
  );
  if (kept.length === 0 && !matches.some((m) => !GENERIC.has(m.french))) return { query: question, matched: 0 };
  const seen = new Set<string>();
  const words = [...matches.map((m) => m.french), ...kept]
    .flatMap((term) => term.split(" "))
    .filter((word) => {
      const key = foldWords(word).join(" ");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return { query: words.join(" "), matched: matches.length };
}
