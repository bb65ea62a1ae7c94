import { analyze, foldAccents, words } from "../../tools/search/analyzer.js";
import { CLAIM_LEXICON } from "./lexicon.js";
import { splitClaims } from "./split.js";
import type { ClaimChecker, Verdict } from "./types.js";

/** Lower case, no accents, one kind of apostrophe and space, digit groups joined ("1 500" → "1500"). */
function normalise(text: string): string {
  return foldAccents(text.toLowerCase())
    .replace(/[’ʼ]/g, "'")
    .replace(/[\u00a0\u202f]/g, " ")
    .replace(/(?<=\d) (?=\d{3}\b)/g, "");
}

const UNIT_WORDS = Object.keys(CLAIM_LEXICON.units).sort((a, b) => b.length - a.length);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const UNIT = `(?:${UNIT_WORDS.map(escape).join("|")})`;
const NUMBER = new RegExp(`(\\d+(?:[.,]\\d+)?)(?:\\s*(${UNIT})(?![\\p{L}]))?`, "gu");
const NUMBER_WORD = new RegExp(`\\b(${Object.keys(CLAIM_LEXICON.number_words).map(escape).join("|")})\\s+(?=${UNIT}(?![\\p{L}]))`, "gu");
const ACRONYM = /\b\p{Lu}{2,}\b/gu;
const NEGATIONS = new Set(CLAIM_LEXICON.negations);
const ORGANISATIONS = CLAIM_LEXICON.organisations.map((name) => new RegExp(`(?<![\\p{L}])${escape(name)}(?![\\p{L}])`, "u"));
const MONTHS = CLAIM_LEXICON.months.map((month) => new RegExp(`\\b${month}\\b`));

/** Numbers with their unit ("86|eur", "2|month"), and each number alone. */
function numbersOf(normalised: string): Set<string> {
  const found = new Set<string>();
  const spelled = normalised.replace(NUMBER_WORD, (_w, word: string) => `${CLAIM_LEXICON.number_words[word]} `);
  for (const [, value, unit] of spelled.matchAll(NUMBER)) {
    const v = value!.replace(",", ".");
    found.add(v);
    if (unit) found.add(`${v}|${CLAIM_LEXICON.units[unit]}`);
  }
  return found;
}

/** What must match exactly: numbers (with their unit when the claim gives one), month names, organisations. */
function criticalTerms(normalised: string): string[] {
  const spelled = normalised.replace(NUMBER_WORD, (_w, word: string) => `${CLAIM_LEXICON.number_words[word]} `);
  const terms: string[] = [];
  for (const [, value, unit] of spelled.matchAll(NUMBER)) {
    const v = value!.replace(",", ".");
    terms.push(unit ? `${v}|${CLAIM_LEXICON.units[unit]}` : v);
  }
  return terms;
}

const negated = (normalised: string) => words(normalised.replace(/\bn'/g, "ne ")).some((w) => NEGATIONS.has(w));

export interface Premise {
  text: string;
  numbers: Set<string>;
  stems: Set<string>;
  sentences: Array<{ stems: Set<string>; negated: boolean }>;
}

export function premiseOf(text: string): Premise {
  const normalised = normalise(text);
  return {
    text: normalised,
    numbers: numbersOf(normalised),
    stems: new Set(analyze(normalised)),
    sentences: normalised
      .split(/(?<=[.!?;:])\s+|\n+/)
      .filter((s) => s.trim())
      .map((s) => ({ stems: new Set(analyze(s)), negated: negated(s) })),
  };
}

export interface OfflineCheckerOptions {
  /** Share of the claim's content words the premise must contain. */
  lexicalThreshold?: number;
  /** Whether a claim whose negation differs from the closest premise sentence is refused. */
  checkNegation?: boolean;
}

/** Why the offline checker refuses a claim, or null when it accepts it. */
export function offlineRefusal(claim: string, premise: Premise, options: Required<OfflineCheckerOptions>): string | null {
  const normalised = normalise(claim);
  for (const term of criticalTerms(normalised)) if (!premise.numbers.has(term)) return `number ${term}`;
  for (const month of MONTHS) if (month.test(normalised) && !month.test(premise.text)) return `month ${month.source}`;
  for (const org of ORGANISATIONS) if (org.test(normalised) && !org.test(premise.text)) return `organisation ${org.source}`;
  for (const [acronym] of claim.matchAll(ACRONYM)) {
    if (!new RegExp(`\\b${escape(foldAccents(acronym.toLowerCase()))}\\b`).test(premise.text)) return `acronym ${acronym}`;
  }
  const stems = [...new Set(analyze(normalised))];
  if (stems.length === 0) return null;
  const covered = stems.filter((s) => premise.stems.has(s)).length / stems.length;
  if (covered < options.lexicalThreshold) return `lexical ${covered.toFixed(2)}`;
  if (options.checkNegation) {
    const closest = premise.sentences.reduce<{ overlap: number; negated: boolean } | undefined>((best, sentence) => {
      const overlap = stems.filter((s) => sentence.stems.has(s)).length;
      return !best || overlap > best.overlap ? { overlap, negated: sentence.negated } : best;
    }, undefined);
    if (closest && closest.negated !== negated(normalised)) return "negation";
  }
  return null;
}

/**
 * The default checker, with no model: claims are the sentences and list items (evals/claims/split.ts); a
 * premise entails a claim when every number (with its unit), month and organisation of the claim is in it and
 * it holds most of the claim's content words (stems). Its limits are in docs/quality.md.
 */
export class OfflineClaimChecker implements ClaimChecker {
  readonly name = "offline";
  private readonly options: Required<OfflineCheckerOptions>;

  constructor(options: OfflineCheckerOptions = {}) {
    this.options = {
      lexicalThreshold: options.lexicalThreshold ?? CLAIM_LEXICON.lexical_threshold,
      checkNegation: options.checkNegation ?? CLAIM_LEXICON.check_negation,
    };
  }

  claims(text: string): Promise<string[]> {
    return Promise.resolve(splitClaims(text));
  }

  check(claims: string[], premiseText: string): Promise<Verdict[]> {
    const premise = premiseOf(premiseText);
    return Promise.resolve(claims.map((claim) => (offlineRefusal(claim, premise, this.options) === null ? "entailed" : "not_entailed")));
  }
}
