import { z } from "zod";
import { readJson } from "../lexicon/read.js";

const RULES = readJson(
  "guard-harm-fraud.json",
  z.object({ fraud: z.array(z.string()), fraud_unless: z.array(z.string()), harm: z.array(z.string()) }),
);
const compile = (sources: string[]) => new RegExp(sources.join("|"), "u");
const FRAUD = compile(RULES.fraud);
const FRAUD_UNLESS = compile(RULES.fraud_unless);
const HARM = compile(RULES.harm);
/** Reported speech: someone was insulted or threatened and asks what to do (same idea as abuse.ts). */
const REPORTED = /(?:m'a (?:traite|insulte|menace|dit)|nous a (?:traite|insulte|menace)|traite(?:e)? de|porter plainte|deposer plainte|plainte|harcel|signaler|discrimin|called me|told me|reported|denunciar|me (?:llamo|dijo)|a ecrit|m'a ecrit|wrote|escribio|scritto|escreveu|est-ce (?:une menace|un delit|punissable)|es delito|is (?:it|this) a (?:threat|crime))/u;

/** A request for help with fraud or evasion (lexicon/guard-harm-fraud.json); questions about the risk are not. */
export function detectFraud(views: string[]): boolean {
  return views.some((view) => FRAUD.test(view) && !FRAUD_UNLESS.test(view));
}

/** Insults without swear words, threats and hate speech; a reported one (to complain, to report) is not. */
export function detectHarm(views: string[]): boolean {
  return views.some((view) => HARM.test(view) && !REPORTED.test(view));
}
