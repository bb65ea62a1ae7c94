import { z } from "zod";
import { cueClasses } from "../answer/question-class.js";
import { readJson } from "../lexicon/read.js";
import { foldAccents, isStopword, words } from "../search/analyzer.js";

const LISTS = readJson("follow-up.json", z.object({ openers: z.array(z.string()), pronouns: z.array(z.string()), asking: z.array(z.string()) }));
const OPENERS = new Set(LISTS.openers);
const POINTERS = new Set(LISTS.pronouns);
/** Words that say what is asked, not about what: a follow-up made of these only asks something new of the same subject. */
const ASKING = new Set(LISTS.asking);

export type FollowUpKind = "standalone" | "situation" | "ask";

export interface Rewrite {
  kind: FollowUpKind;
  /** The question to answer, whole: what retrieval, the cache and the answer read. */
  standalone: string;
}

const folded = (text: string) => words(text).map((w) => foldAccents(w));
const trimQuestion = (text: string) => text.trim().replace(/[\s?!.]+$/u, "");
/** The previous question's first sentence, without the guard's placeholders («[EMAIL]»): what follow-ups build on. */
const coreOf = (text: string) => trimQuestion((text.split(/[?!]/u)[0] ?? text).replace(/\[[A-Z_]+\]/gu, " ").replace(/\s+/gu, " "));

/** The previous question without its asking words: «Combien coûte un passeport pour un mineur» → «un passeport pour un mineur». */
function subjectOf(previous: string): string {
  const tokens = coreOf(previous).split(" ");
  let start = 0;
  while (start < tokens.length - 1 && folded(tokens[start]!).every((w) => ASKING.has(w) || w === "de" || w === "d")) start += 1;
  return tokens.slice(start).join(" ");
}

/**
 * Rewrites a question of a conversation into a standalone one from the previous standalone question, by rules:
 * «et pour un mineur de 16 ans ?» after «Combien coûte un passeport ?» adds the situation to it; «il faut quels
 * papiers ?» asks something new of the same subject, so the previous subject's words are added. A question that
 * names its own subject stands alone.
 */
export function rewriteFollowUp(question: string, previous: string | undefined): Rewrite {
  if (!previous) return { kind: "standalone", standalone: question };
  const ws = folded(question);
  const content = ws.filter((w) => !isStopword(w) && !ASKING.has(w) && !POINTERS.has(w) && !OPENERS.has(w));
  const opensAsFollowUp = ws.length > 0 && OPENERS.has(ws[0]!);
  const asks = cueClasses(question).length > 0 || ws.some((w) => ASKING.has(w));
  if (opensAsFollowUp && ws.length <= 10 && (!asks || ws[0] === "et")) {
    const situation = trimQuestion(question).replace(/^\s*(?:et|mais|sinon|alors)\s+/iu, "");
    return { kind: "situation", standalone: `${coreOf(previous)} ${situation} ?` };
  }
  if (content.length <= 1 && ws.length <= 8) {
    return { kind: "ask", standalone: `${trimQuestion(question)} pour ${subjectOf(previous)} ?` };
  }
  return { kind: "standalone", standalone: question };
}
