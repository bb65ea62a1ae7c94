/** Offline rules that split a French question in several parts, and the cheap check that runs first. */

/** A clause that starts a new question or a new situation: a subject pronoun or a question word. */
const CLAUSE_START =
  "(?:je|j'|j’|nous|on|il|elle|ils|elles|mon|ma|mes|notre|nos|comment|combien|quel|quelle|quels|quelles|où|quand|est-ce|dois-je|puis-je|faut-il|que|qu'|qu’)";
const CONNECTOR = new RegExp(`\\s*(?:,\\s*)?\\b(?:et puis|et aussi|mais aussi|ainsi que|puis|et)\\s+(?=${CLAUSE_START}\\b|${CLAUSE_START})`, "giu");
const ENUMERATION = /(?:^|\s)(?:\d+[).]|[a-c]\))\s+/gu;
/** Questions that compare or relate two things are one question, not two. */
const ONE_QUESTION = /\b(diff[ée]rence|diff[ée]rent|comparer|comparaison|entre|ou bien|choisir|lequel|laquelle|cumuler|cumul)\b/iu;
/** A shared question at the end: "je me marie et je déménage, quelles démarches ?" */
const SHARED_TAIL = /^(.*?),\s*((?:quel|quelle|quels|quelles|comment|que|qu'|qu’|combien|où|quand)\b.*)$/iu;
const STOP = new Set(
  "les des une pour avec dans sur par est sont faut quel quelle quels quelles comment combien que qui quoi dois puis peut peux mon mes une aux son ses leur cette ces pas plus tout".split(" "),
);
const QUESTION_WORD = /^(?:comment|combien|quel|quelle|quels|quelles|où|quand|que|qu'|qu’)\b/iu;
export const MAX_PARTS = 4;

function contentWords(text: string): number {
  return (text.toLowerCase().match(/\p{L}{3,}/gu) ?? []).filter((w) => !STOP.has(w)).length;
}

function tidy(part: string): string {
  return part.replace(/^[\s,;:–-]+|[\s,;–-]+$/gu, "").trim();
}

/** Parts of an enumeration "1) … 2) …", of several sentences ending in "?", or of clauses separated by ";". */
function splitBySeparators(question: string): string[] {
  if ((question.match(ENUMERATION) ?? []).length >= 2) return question.split(ENUMERATION).map(tidy);
  const questions = question.match(/[^?]+\?/gu) ?? [];
  if (questions.length >= 2) return [...questions, question.slice(questions.join("").length)].map(tidy);
  if (question.includes(";")) return question.split(";").map(tidy);
  return [question];
}

/** Clauses joined by "et", "puis", "ainsi que"… when the next one starts like a new clause. */
function splitByConnectors(question: string): string[] {
  const tail = SHARED_TAIL.exec(question);
  const body = tail && !SHARED_TAIL.test(tail[1]!) ? tail[1]! : question;
  const parts = body.split(CONNECTOR).map(tidy);
  if (parts.length < 2) return [question];
  // "… et quels documents fournir ?" continues the same question; a new question needs its own subject.
  if (parts.slice(1).some((p) => QUESTION_WORD.test(p) && contentWords(p) < 3)) return [question];
  // The shared question goes with every part, so each can be searched alone.
  return tail && body !== question ? parts.map((p) => `${p}, ${tail[2]}`) : parts;
}

/**
 * Sub-questions of a multi-part French question, or the question alone. Each part must carry at least two
 * content words (otherwise "combien ça coûte" would be searched without its subject); questions that compare
 * two things ("carte d'identité et passeport : quelle différence ?") stay whole.
 */
export function splitQuestion(question: string): string[] {
  const text = question.replace(/\s+/g, " ").trim();
  if (ONE_QUESTION.test(text)) return [text];
  let parts = splitBySeparators(text).filter((p) => p !== "");
  if (parts.length < 2) parts = splitByConnectors(text).filter((p) => p !== "");
  if (parts.length < 2 || parts.length > MAX_PARTS || parts.some((p) => contentWords(p) < 2)) return [text];
  return parts;
}

/**
 * Cheap check before asking a model: true when the rules see a possible multi-part question (several "?",
 * an enumeration, a ";", or a connector before a new clause). Simple questions never reach the model.
 */
export function mightBeMultiPart(question: string): boolean {
  if ((question.match(/\?/g) ?? []).length >= 2) return true;
  if ((question.match(ENUMERATION) ?? []).length >= 2 || question.includes(";")) return true;
  CONNECTOR.lastIndex = 0;
  return CONNECTOR.test(question);
}
