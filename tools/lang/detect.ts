import { eld } from "eld/small";
import { foldWords } from "./fold.js";
import { frenchGlossaryWords, GLOSSARY_LANGUAGES, phraseTable } from "./glossary/index.js";

/** Languages Guichet detects; anything else is reported as the closest of these, or "und". */
export const DETECTED_LANGUAGES = ["fr", "en", "es", "pt", "ar", "de", "it"] as const;
export type DetectedLanguage = (typeof DETECTED_LANGUAGES)[number] | "und";

export interface Detection {
  language: DetectedLanguage;
  /** What decided: the script (Arabic), the n-gram model, the glossary on a short text, or the French default. */
  method: "script" | "model" | "glossary" | "default";
}

/** Up to this many words, a text is "short": n-gram models guess poorly on it. */
export const SHORT_WORDS = 3;

const detector = eld.newInstance();
detector.setLanguageSubset([...DETECTED_LANGUAGES]);

const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F]/gu;
const LETTER = /\p{L}/gu;

/** Languages whose glossary (or, for French, whose administrative vocabulary) covers words of the text. */
function lexiconVotes(words: string[]): Set<DetectedLanguage> {
  const votes = new Set<DetectedLanguage>();
  const french = frenchGlossaryWords();
  if (words.some((w) => french.has(w))) votes.add("fr");
  for (const lang of GLOSSARY_LANGUAGES) if (phraseTable(lang).match(words).length > 0) votes.add(lang);
  return votes;
}

/**
 * Language of a (short) question, offline. Arabic script decides alone; otherwise the `eld` n-gram model
 * restricted to the supported languages (chosen on the dev split of evals/datasets/lang.jsonl). On three
 * words or fewer, the glossaries break ties the model gets wrong ("passport", "carte grise perdue") and an
 * unsure model falls back to French, the language most questions are asked in.
 */
export function detectLanguage(text: string): Detection {
  const letters = text.match(LETTER)?.length ?? 0;
  if (letters === 0) return { language: "und", method: "default" };
  if ((text.match(ARABIC_LETTER)?.length ?? 0) / letters >= 0.5) return { language: "ar", method: "script" };

  const result = detector.detect(text);
  const guess = (result.language || "und") as DetectedLanguage;
  const words = foldWords(text);
  if (words.length > SHORT_WORDS) return guess === "und" ? { language: "fr", method: "default" } : { language: guess, method: "model" };

  const votes = lexiconVotes(words);
  if (votes.has(guess)) return { language: guess, method: "model" };
  if (votes.size === 1) return { language: [...votes][0]!, method: "glossary" };
  if (votes.has("fr") || !result.isReliable() || guess === "und") return { language: "fr", method: "default" };
  return { language: guess, method: "model" };
}
