import { CLAIM_LEXICON } from "./lexicon.js";

const CITATION = /\s*\[\d+(?:\s*[,;]\s*\d+)*\]/g;
const LIST_ITEM = /^\s*(?:[-•*–]|\d+[.)])\s+/;
/** A sentence ends at . ! ? (or …) followed by a space and a capital letter, a digit or an opening quote. */
const SENTENCE_END = /(?<!\b(?:M|Mme|Mlle|MM|Dr|art|Art|n°|cf|etc|p)\.)(?<=[.!?…])\s+(?=[\p{Lu}\d«"])/u;
const normalisedPrefix = (text: string) => text.replace(/[’]/g, "'").trimStart();

const isBoilerplate = (text: string) =>
  CLAIM_LEXICON.boilerplate_prefixes.some((prefix) => normalisedPrefix(text).startsWith(prefix));

/**
 * The offline claim splitter: one claim per sentence, and one per list item (prefixed with the list's lead-in,
 * which carries its condition). Citation markers, the action lines («Démarches en ligne : …») and the notices
 * the service adds are not claims about procedures and are left out.
 */
export function splitClaims(text: string): string[] {
  const claims: string[] = [];
  for (const paragraph of text.replace(CITATION, "").split(/\n\s*\n/)) {
    if (isBoilerplate(paragraph)) continue;
    let leadIn: string | undefined;
    let leadInUsed = false;
    const flushLeadIn = () => {
      if (leadIn && !leadInUsed) claims.push(leadIn);
      leadIn = undefined;
    };
    for (const line of paragraph.split("\n").map((l) => l.trim()).filter(Boolean)) {
      if (LIST_ITEM.test(line)) {
        const item = line.replace(LIST_ITEM, "").replace(/[;,.]$/, "").trim();
        if (item && item !== "…") claims.push(leadIn ? `${leadIn} ${item}` : item);
        leadInUsed = true;
        continue;
      }
      const sentences = line.split(SENTENCE_END).map((s) => s.trim()).filter((s) => s && !isBoilerplate(s));
      flushLeadIn();
      claims.push(...sentences.filter((s) => !s.endsWith(":")));
      if (sentences.at(-1)?.endsWith(":")) {
        leadIn = sentences.at(-1)!.replace(/\s*:$/, "");
        leadInUsed = false;
      }
    }
    flushLeadIn();
  }
  return claims.filter((claim) => /\p{L}/u.test(claim));
}
