/**
 * Personal data in a question: found, checked (checksums, formats) and replaced by typed placeholders before
 * anything else — retrieval, cache, logs, spans, an LLM — sees the text.
 */
import { validate as validNir } from "french-ssn";
import { electronicFormatIBAN, isValidIBAN } from "ibantools";
import validator from "validator";
import { findPhoneNumbers } from "./phones.js";

export const PII_TYPES = ["NIR", "IBAN", "CARTE_BANCAIRE", "EMAIL", "TELEPHONE", "PASSEPORT"] as const;
export type PiiType = (typeof PII_TYPES)[number];

export interface Redaction {
  /** The text with each item replaced by `[TYPE]`. */
  text: string;
  /** Types removed, each once, in the order of PII_TYPES. */
  types: PiiType[];
  /** How many items were removed. */
  count: number;
}

interface Span {
  start: number;
  end: number;
  type: PiiType;
}

const SEP = "[ .\\-]?";

/** NIR: sex, year, month, department (2A/2B for Corsica), commune, order, key; separators allowed between groups. */
const NIR_CANDIDATE = new RegExp(
  `(?<![\\p{L}\\p{N}])[1-478]${SEP}\\d{2}${SEP}\\d{2}${SEP}(?:\\d{2}|2[ABab])${SEP}\\d{3}${SEP}\\d{3}${SEP}\\d{2}(?![\\p{L}\\p{N}])`,
  "gu",
);

function findNirs(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(NIR_CANDIDATE)) {
    const compact = m[0].replace(/[ .-]/g, "").toUpperCase();
    // french-ssn checks the key (97 - number mod 97, with 2A → 19 and 2B → 18 for Corsica).
    if (compact.length === 15 && validNir(compact)) spans.push({ start: m.index, end: m.index + m[0].length, type: "NIR" });
  }
  return spans;
}

/** IBAN: country, check digits, then up to 30 letters or digits, grouped by spaces or not; mod-97 checked. */
function findIbans(text: string): Span[] {
  const spans: Span[] = [];
  const start = /(?<![\p{L}\p{N}])[A-Za-z]{2}\d{2}(?=[ ]?[A-Za-z0-9])/gu;
  for (const m of text.matchAll(start)) {
    const tail = text.slice(m.index).match(/^[A-Za-z0-9]{4}(?:[ ]?[A-Za-z0-9]){10,30}/)?.[0] ?? "";
    // Try the longest run first, then shorter ones (a word may follow the IBAN).
    for (let end = tail.length; end >= 15; end--) {
      if (/[ ]$/.test(tail.slice(0, end))) continue;
      const candidate = electronicFormatIBAN(tail.slice(0, end)) ?? "";
      const after = text[m.index + end];
      if (after !== undefined && /[\p{L}\p{N}]/u.test(after)) continue;
      if (isValidIBAN(candidate)) {
        spans.push({ start: m.index, end: m.index + end, type: "IBAN" });
        break;
      }
    }
  }
  return spans;
}

/** Card numbers: 13 to 19 digits (spaces or dashes allowed), a known issuer's format and a valid Luhn sum. */
function findCards(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(/(?<![\p{N}])\d(?:[ -]?\d){12,18}(?![\p{N}])/gu)) {
    const digits = m[0].replace(/[ -]/g, "");
    if (validator.isCreditCard(digits)) spans.push({ start: m.index, end: m.index + m[0].length, type: "CARTE_BANCAIRE" });
  }
  return spans;
}

function findEmails(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu)) {
    const value = m[0].replace(/[.-]+$/, "");
    if (validator.isEmail(value, { allow_utf8_local_part: true })) spans.push({ start: m.index, end: m.index + value.length, type: "EMAIL" });
  }
  return spans;
}

/** Phone numbers in the usual French writings (0612345678, 06 12 34 56 78, 06.12…, +33, 0033, +33 (0)1…). */
function findPhones(text: string): Span[] {
  return findPhoneNumbers(text)
    .filter((found) => found.number.isValid())
    .map((found) => ({ start: found.startsAt, end: found.endsAt, type: "TELEPHONE" as const }));
}

const PASSPORT_CONTEXT = /passeport|passport|pasaporte|passaporto|passaporte|reisepass/i;

/** French passport numbers (2 digits, 2 letters, 5 digits), only near a word that names a passport. */
function findPassports(text: string): Span[] {
  if (!PASSPORT_CONTEXT.test(text)) return [];
  const spans: Span[] = [];
  for (const m of text.matchAll(/(?<![\p{L}\p{N}])\d{2}[ ]?[A-Za-z]{2}[ ]?\d{5}(?![\p{L}\p{N}])/gu)) {
    const around = text.slice(Math.max(0, m.index - 80), m.index + m[0].length + 80);
    if (PASSPORT_CONTEXT.test(around)) spans.push({ start: m.index, end: m.index + m[0].length, type: "PASSEPORT" });
  }
  return spans;
}

/** Finders in priority order: an earlier finder's span wins over an overlapping later one. */
const FINDERS: ((text: string) => Span[])[] = [findEmails, findIbans, findNirs, findCards, findPassports, findPhones];

/** Finds personal data; spans are disjoint and sorted. */
export function findPii(text: string): Span[] {
  const kept: Span[] = [];
  for (const finder of FINDERS) {
    for (const span of finder(text)) {
      if (!kept.some((k) => span.start < k.end && k.start < span.end)) kept.push(span);
    }
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Replaces personal data by typed placeholders such as `[NIR]`. */
export function redactPii(text: string): Redaction {
  const spans = findPii(text);
  let out = "";
  let at = 0;
  for (const span of spans) {
    out += `${text.slice(at, span.start)}[${span.type}]`;
    at = span.end;
  }
  out += text.slice(at);
  const present = new Set(spans.map((s) => s.type));
  return { text: out, types: PII_TYPES.filter((t) => present.has(t)), count: spans.length };
}
