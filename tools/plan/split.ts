/** Offline rules that split a French question in several parts, and the cheap check that runs first. */

const QUESTION_WORDS = "(?:comment|combien|quel|quelle|quels|quelles|où|quand|que|est-ce|pourquoi)(?![\\p{L}])|qu['’]";
const QUESTION_START = new RegExp(`^(?:${QUESTION_WORDS})`, "iu");
const SUBJECT_START = /^(?:(?:je|nous|on)(?![\p{L}])|j['’])/iu;
/** A later sentence that starts like this leans on the one before ("… ? et ça coûte combien ?"). */
const ANAPHORIC_START = /^(?:et|mais|ou|donc|alors|ça|ca|cela|il|elle|ils|elles|on|le|la|les|l'|l’|c'est|c’est|y|en|jusqu)(?![\p{L}])/iu;
const CONNECTOR = /\s*,?\s+(?:et puis|et aussi|mais aussi|ainsi que|puis|et)\s+/giu;
const ENUMERATION = /(?:^|\s)(?:\d+[).]|[a-c]\))\s+/gu;
/** Questions that compare or relate two things are one question, not two. */
const ONE_QUESTION = /\b(diff[ée]rences?|diff[ée]rents?|comparer|comparaison|entre|ou bien|choisir|lequel|laquelle|cumuler|cumul)\b/iu;
/** "X et Y, quelles démarches ?": short situations sharing one short question. */
const SHARED_TAIL = new RegExp(`^(.*?),\\s*((?:${QUESTION_WORDS}).*)$`, "iu");
const STOP = new Set(
  "les des une pour avec dans sur par est sont faut quel quelle quels quelles comment combien que qui quoi dois doit puis peut peux mon mes une aux son ses leur cette ces pas plus tout".split(" "),
);
export const MAX_PARTS = 4;
/** Longest situation ("je me marie") that may share a tail question; longer ones are context, not a part. */
const SHORT_SITUATION_WORDS = 6;

function contentWords(text: string): number {
  return (text.toLowerCase().match(/\p{L}{3,}/gu) ?? []).filter((w) => !STOP.has(w)).length;
}

function wordCount(text: string): number {
  return (text.match(/[\p{L}\p{N}'’]+/gu) ?? []).length;
}

function tidy(part: string): string {
  return part.replace(/^[\s,;:–-]+|[\s,;–-]+$/gu, "").trim();
}

/** A part that can be searched alone: enough content words, and not leaning on the sentence before. */
function standsAlone(part: string, first: boolean): boolean {
  return contentWords(part) >= (first ? 2 : 3) && (first || !ANAPHORIC_START.test(part));
}

/** Parts of an enumeration "1) … 2) …", of several sentences ending in "?", or of clauses separated by ";". */
function splitBySeparators(question: string): string[] {
  if ((question.match(ENUMERATION) ?? []).length >= 2) return question.split(ENUMERATION).map(tidy).filter(Boolean);
  const questions = question.match(/[^?]+\?/gu) ?? [];
  if (questions.length >= 2) return [...questions, question.slice(questions.join("").length)].map(tidy).filter(Boolean);
  if (question.includes(";")) return question.split(";").map(tidy).filter(Boolean);
  return [question];
}

/**
 * Clauses joined by "et", "puis", "ainsi que": either short situations sharing one question ("je me marie et
 * je déménage, quelles démarches ?"), each given that question, or questions that each start with a question
 * word ("comment … et combien … ?").
 */
function splitByConnectors(question: string): string[] {
  const tail = SHARED_TAIL.exec(question);
  if (tail && wordCount(tail[2]!) <= SHORT_SITUATION_WORDS) {
    const situations = tail[1]!.split(CONNECTOR).map(tidy);
    if (situations.length >= 2 && situations.every((s) => SUBJECT_START.test(s) && wordCount(s) <= SHORT_SITUATION_WORDS)) {
      return situations.map((s) => `${s}, ${tail[2]}`);
    }
  }
  const parts = question.split(CONNECTOR).map(tidy);
  // "… et quels documents fournir ?" continues the same question: a new one needs its own subject.
  if (parts.length >= 2 && parts.every((p) => QUESTION_START.test(p)) && parts.slice(1).every((p) => contentWords(p) >= 3)) {
    return parts;
  }
  return [question];
}

/**
 * Sub-questions of a multi-part French question, or the question alone. Citizens often give context before
 * their question ("je suis étudiant et je loue un studio, la Caf peut-elle m'aider ?"): that is one question,
 * so the rules only split parts that can be searched alone. Questions that compare two things ("carte
 * d'identité et passeport : quelle différence ?") stay whole.
 */
export function splitQuestion(question: string): string[] {
  const text = question.replace(/\s+/g, " ").trim();
  if (ONE_QUESTION.test(text)) return [text];
  const separated = splitBySeparators(text);
  const parts =
    separated.length >= 2
      ? separated.every((p, i) => standsAlone(p, i === 0)) ? separated : [text]
      : splitByConnectors(text).filter((p, _, all) => all.length < 2 || contentWords(p) >= 2);
  return parts.length >= 2 && parts.length <= MAX_PARTS ? parts : [text];
}

/**
 * Cheap check before asking a model: true when the rules see a possible multi-part question (several "?",
 * an enumeration, a ";", or a connector followed by a question word or a subject). Simple questions never
 * reach the model.
 */
export function mightBeMultiPart(question: string): boolean {
  if ((question.match(/\?/g) ?? []).length >= 2) return true;
  if ((question.match(ENUMERATION) ?? []).length >= 2 || question.includes(";")) return true;
  return question
    .split(CONNECTOR)
    .slice(1)
    .some((part) => QUESTION_START.test(part) || SUBJECT_START.test(part));
}
