/**
 * Insults and threats. French words come from `french-badwords-list` (its plain-letter entries; leetspeak is
 * already folded by normalisation), minus words that are also everyday or administrative words ("manche",
 * "punaise", "gourde", "coche"...); short lists of our own cover English, Spanish, German, Italian and Portuguese.
 * A question that *reports* an insult or a threat (to complain, to file a report) is not abuse.
 */
import { createRequire } from "node:module";
import { z } from "zod";
import { readJson } from "../lexicon/read.js";

const require = createRequire(import.meta.url);
const badwords = (require("french-badwords-list") as { array: string[] }).array;
/** `lexicon/guard-insults.json`: entries of the French list that are ordinary words, and our lists for other languages. */
const LISTS = readJson("guard-insults.json", z.object({ not_insults: z.array(z.string()), other_languages: z.array(z.string()) }));
const NOT_INSULTS = new Set(LISTS.not_insults);

const fold = (w: string) => w.toLowerCase().normalize("NFKD").replace(/\p{M}+/gu, "");

const FRENCH = new Set(badwords.filter((w) => /^[\p{L}' -]+$/u.test(w) && !NOT_INSULTS.has(w)).map(fold));

const OTHER_LANGUAGES = LISTS.other_languages.map(fold);

const THREATS = new RegExp(
  [
    "je (?:vais|veux|v) (?:te|vous|les|le|la|lui|leur)? ?(?:tuer|buter|egorger|fracasser|defoncer|frapper|massacrer|cramer|bruler|planter|flinguer|descendre)",
    "(?:je vais|on va|je veux) (?:faire sauter|bruler|incendier|attaquer|tirer sur|poser une bombe)",
    "(?:bombe|explosif)s? (?:a|dans|sous) (?:la|le|votre|ta) (?:mairie|prefecture|caf|agence|bureau|tribunal)",
    "(?:tu|vous) (?:vas|allez) (?:le )?(?:regretter|crever|mourir|payer)",
    "i(?:'m| am)? (?:going to|gonna|will) (?:kill|shoot|hurt|burn|bomb|stab)",
    "(?:voy a|te voy a|os voy a) (?:matar|quemar|apunalar|disparar)",
    "ich (?:werde|bring) (?:dich|euch) (?:umbringen|toten|um)",
    "ti (?:ammazzo|uccido)",
  ].join("|"),
  "u",
);

/** Reported speech: someone was insulted or threatened and asks what to do. */
const REPORTED = /(?:m'a (?:traite|insulte|menace|dit)|nous a (?:traite|insulte|menace)|traite(?:e)? de|insulte(?:e|s)?|injure|menace(?:e|s)? (?:de|par)|me menace|porter plainte|deposer plainte|plainte|harcel|called me|threatened|insulted|me (?:llamo|amenazo|insulto)|denunciar|a ecrit|wrote|escribio|est-ce (?:une menace|un delit|punissable)|es delito)/u;

export type AbuseKind = "insult" | "threat";

/** Finds an insult or a threat in a folded view of the question; reported speech is not abuse. */
export function detectAbuse(views: string[]): AbuseKind | null {
  for (const view of views) {
    const reported = REPORTED.test(view);
    if (!reported && THREATS.test(view)) return "threat";
    if (reported) continue;
    const words = view.split(/[^\p{L}'-]+/u).flatMap((w) => [w, ...w.split(/['-]/)]);
    if (words.some((w) => FRENCH.has(w) || FRENCH.has(w.replace(/e?s$/, "")) || FRENCH.has(w.replace(/s$/, "")))) return "insult";
    const padded = ` ${view.replace(/[^\p{L}\s]+/gu, " ")} `;
    if (OTHER_LANGUAGES.some((w) => padded.includes(` ${w} `))) return "insult";
  }
  return null;
}
