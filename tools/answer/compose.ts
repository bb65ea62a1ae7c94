import type { ChunkAction } from "../../corpus/chunk.js";
import type { QuestionClass } from "./question-class.js";
import type { Citation, Passage, Reply } from "./types.js";
import { countWords, type Unit } from "./units.js";

/** A unit chosen for the answer, with the situation heading it answers for when the fiche branches. */
export interface ChosenUnit {
  unit: Unit;
  label?: string;
}

/** Longest a single unit may be before its list is cut (the point is kept whole up to this). */
const MAX_UNIT_WORDS = 130;
/** Longest a labelled situation line may be. */
const MAX_LABELLED_WORDS = 45;
/** Classes for which the office to go to is worth a line of its own. */
const OFFICE_LINE_CLASSES = new Set<QuestionClass>(["where", "procedure"]);

/**
 * The answer text: the chosen units in the given order (the point first), grouped into one paragraph per run of
 * units from the same fiche, each paragraph ending with its fiche's citation number (one number per fiche); then
 * a short "Démarches en ligne" line (and "Où s'adresser" for where/how questions) naming the actions.
 */
export function composeReply(chosen: ChosenUnit[], pool: Passage[], questionClass: QuestionClass, actions: ChunkAction[]): Reply {
  const citations: Citation[] = [];
  const paragraphs: string[] = [];
  let current: { n: number; lines: string[] } | undefined;
  for (const { unit, label } of chosen) {
    const passage = pool[unit.passage]!;
    let citation = citations.find((c) => c.id === passage.chunk.ficheId);
    if (!citation) {
      citation = toCitation(citations.length + 1, passage);
      citations.push(citation);
    }
    if (!current || current.n !== citation.n) {
      if (current) paragraphs.push(`${current.lines.join("\n")} [${current.n}]`);
      current = { n: citation.n, lines: [] };
    }
    current.lines.push(label ? `${label} : ${shorten(unit.text, MAX_LABELLED_WORDS)}` : shorten(unit.text, MAX_UNIT_WORDS));
  }
  if (current) paragraphs.push(`${current.lines.join("\n")} [${current.n}]`);
  const online = actions.filter((a) => a.kind !== "office").map((a) => a.title);
  const offices = actions.filter((a) => a.kind === "office").map((a) => a.title);
  if (online.length > 0) paragraphs.push(`Démarches en ligne : ${online.join(" ; ")}.`);
  if (offices.length > 0 && OFFICE_LINE_CLASSES.has(questionClass)) paragraphs.push(`Où s'adresser : ${offices.join(" ; ")}.`);
  return { answer: paragraphs.join("\n\n"), citations, found: true, actions };
}

/** A unit cut to about `max` words: a list keeps its lead-in and the items that fit, a sentence stays whole. */
function shorten(text: string, max: number): string {
  if (countWords(text) <= max) return text;
  const lines = text.split("\n");
  if (lines.length === 1) return text;
  const kept: string[] = [];
  let words = 0;
  for (const line of lines) {
    const n = countWords(line);
    if (kept.length >= 2 && words + n > max) {
      kept.push("- …");
      break;
    }
    kept.push(line);
    words += n;
  }
  return kept.join("\n");
}

export function toCitation(n: number, passage: Passage): Citation {
  const { chunk } = passage;
  return {
    n,
    id: chunk.ficheId,
    title: chunk.title,
    url: chunk.url,
    date: chunk.date,
    snippet: snippet(chunk.text),
  };
}

function snippet(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  return `${flat.slice(0, max).replace(/\s+\S*$/, "")}…`;
}
