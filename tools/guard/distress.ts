import { z } from "zod";
import { foldWords } from "../lang/fold.js";
import { readJson } from "../lexicon/read.js";

const PHRASES = readJson("distress.json", z.object({ phrases: z.array(z.string().min(3)) })).phrases.map((p) => ` ${foldWords(p).join(" ")} `);

/** A message of despair or suicidal thoughts (lexicon/distress.json), in any of the detection views. */
export function detectDistress(views: string[]): boolean {
  return views.some((view) => {
    const folded = ` ${foldWords(view).join(" ")} `;
    return PHRASES.some((phrase) => folded.includes(phrase));
  });
}

/**
 * What an answer to a message of distress opens with, before anything else: the national suicide prevention line
 * and the emergency numbers. Neutral, short, in French (the translate step carries it over like the answer).
 */
export const DISTRESS_NOTICE =
  "Si vous traversez un moment très difficile ou pensez au suicide, vous n'êtes pas seul : appelez le 3114, " +
  "numéro national de prévention du suicide, gratuit, 24 h/24 et 7 j/7. En cas d'urgence, appelez le 15 (Samu) " +
  "ou le 112.";
