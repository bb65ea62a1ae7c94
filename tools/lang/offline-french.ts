import type { MachineTranslator } from "./apertium.js";
import type { Bilingual } from "./freedict.js";
import { translateQueryOffline } from "./translate-query.js";

export interface OfflineFrench {
  /** What retrieval is given: the machine translation, then the glossary and word-list keywords. */
  query: string;
  via: "glossary" | "apertium" | "none";
}

/**
 * A foreign question's French form without a model: the glossary and the FreeDict word lists give keywords, and
 * the Apertium translation, for the languages it has a pair for, gives the sentence they miss (on Spanish it
 * finds the fiche where the keywords do not and the other way round, so both are sent).
 */
export async function offlineFrench(
  question: string,
  language: string,
  resources: { bilingual?: Bilingual | undefined; machineTranslator?: MachineTranslator | undefined },
): Promise<OfflineFrench> {
  const keywords = translateQueryOffline(question, language, resources.bilingual?.[language as keyof Bilingual]);
  const translated = keywords.matched > 0 || keywords.fromDictionary > 0;
  const machine = resources.machineTranslator?.languages.has(language)
    ? await resources.machineTranslator.toFrench(question, language)
    : undefined;
  if (machine) return { query: translated ? `${machine} ${keywords.query}` : machine, via: "apertium" };
  return { query: keywords.query, via: translated ? "glossary" : "none" };
}
