import { BoundedCache } from "./analysis-cache.js";
import type { Chunk } from "../../corpus/chunk.js";
import type { Passage } from "./types.js";

/** A piece of a passage that is kept whole: a sentence, or a lead-in line with its list items. */
export interface Unit {
  /** Index of its passage in the answerer's pool. */
  passage: number;
  /** Position inside the passage (0 = first). */
  position: number;
  text: string;
  words: number;
}

/** What a unit carries, as the question classes ask for it. */
export interface UnitKinds {
  amount: boolean;
  duration: boolean;
  date: boolean;
  threshold: boolean;
  list: boolean;
  where: boolean;
  procedure: boolean;
  consequence: boolean;
  eligibility: boolean;
  definition: boolean;
}

const AMOUNT = /\d[\d\s.,]*\s?(?:€|euros?\b)|\bgratuit/iu;
const DURATION = /\b\d+(?:[.,]\d+)?\s?(?:jours?|mois|ans?|années?|semaines?|heures?|minutes?|trimestres?)\b|\bdélais?\b|\bimmédiatement\b|\bsans délai\b|\bdurée\b/iu;
const DATE = /\b(?:1er|\d{1,2})\s(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b|\b(?:19|20)\d\d\b|\bà partir du\b|\bavant le\b/iu;
const THRESHOLD = /\b\d+\s?ans\b|\d\s?%|\bplafonds?\b|\bau moins\b|\bmoins de\b|\bplus de\b|\bau maximum\b|\bau minimum\b|\bseuil\b|\bâge\b/iu;
const WHERE = /\b(?:mairie|préfecture|sous-préfecture|commissariat|gendarmerie|consulat|ambassade|caf|cpam|msa|urssaf|tribunal|greffe|notaire|auprès d[eu']|s'adresser|guichet|agence|service des impôts|france services|pôle emploi|en ligne|site)\b/iu;
const PROCEDURE = /\bformulaire\b|\bcerfa\b|\bpièces?\b|\bjustificatifs?\b|\bdocuments?\b|\bdemande\b|\bdossier\b|\bfournir\b|\bdéclar/iu;
const CONSEQUENCE = /\bamende\b|\bpeines?\b|\bsanctions?\b|\brisquez?\b|\bemprisonnement\b|\bsuspension\b|\bpoursuites?\b|\bperd(?:ez|re)?\b|\bmajoration\b/iu;
const ELIGIBILITY = /\bdroit\b|\bpouvez\b|\bpeut\b|\bconditions?\b|\bobligatoire\b|\bdevez\b|\bdoit\b|\bne (?:pouvez|peut) pas\b|\bêtre âgé\b|\bbénéficier\b/iu;

const kindsCache = new BoundedCache<string, Omit<UnitKinds, "definition">>(60_000);

/** What a unit carries (cached by text: the patterns are costly and the same units are read again and again). */
export function unitKinds(text: string, path: string[]): UnitKinds {
  return { ...kindsCache.get(text, () => textKinds(text)), definition: path[0] === "Définitions" };
}

function textKinds(text: string): Omit<UnitKinds, "definition"> {
  return {
    amount: AMOUNT.test(text),
    duration: DURATION.test(text),
    date: DATE.test(text),
    threshold: THRESHOLD.test(text),
    list: /\n\s*(?:-|\d+\.)\s/.test(`\n${text}`),
    where: WHERE.test(text),
    procedure: PROCEDURE.test(text),
    consequence: CONSEQUENCE.test(text),
    eligibility: ELIGIBILITY.test(text),
  };
}

/** Sections whose lines are links to act on (shown in `actions`), never prose. */
export const ACTION_SECTIONS = new Set(["Services en ligne", "Où s'adresser ?"]);
/** Inline lines that name an online service or an office: they become `actions` too. */
const ACTION_LINE = /^(?:Service en ligne|Où s'adresser) : /;

const chunkUnits = new BoundedCache<Chunk, Array<{ text: string; words: number }>>(8_000);

/** Units of every passage, action lines and action sections left out. */
export function passageUnits(passages: Passage[]): Unit[] {
  const units: Unit[] = [];
  passages.forEach((passage, index) => {
    const split = chunkUnits.get(passage.chunk, () => {
      if (ACTION_SECTIONS.has(passage.chunk.path[0] ?? "")) return [];
      const text = passage.chunk.text
        .split("\n")
        .filter((line) => !ACTION_LINE.test(line))
        .join("\n");
      return splitUnits(text).map((unit) => ({ text: unit, words: countWords(unit) }));
    });
    split.forEach(({ text, words }, position) => units.push({ passage: index, position, text, words }));
  });
  return units;
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

const LIST_ITEM = /^\s*(?:-|\d+\.)\s/;

/** Sentences, except that a line ending with ":" stays with the list items that follow it. */
export function splitUnits(text: string): string[] {
  const units: string[] = [];
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const leadIn = line.trim().endsWith(":") && i + 1 < lines.length && LIST_ITEM.test(lines[i + 1]!);
    if (LIST_ITEM.test(line) || leadIn) {
      const items = [line];
      while (i + 1 < lines.length && LIST_ITEM.test(lines[i + 1]!)) items.push(lines[++i]!);
      units.push(items.join("\n"));
      continue;
    }
    units.push(...splitSentences(line));
  }
  return units;
}

function splitSentences(line: string): string[] {
  return line
    .split(/(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Ý«"])/u)
    .map((s) => s.trim())
    .filter(Boolean);
}
