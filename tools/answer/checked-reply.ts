import { checkOutput } from "../guard/output.js";
import { actionsOfCited } from "./merge-parts.js";
import type { Passage, Reply } from "./types.js";

/**
 * An extractive reply after the output guard, checked against everything the answerer read (the retrieved
 * passages and the rest of the fiches it opened), its actions kept to the fiches still cited.
 */
export function checkedReply(reply: Reply, read: Passage[]): Reply {
  const checked = checkOutput(reply.answer, read, { citations: reply.citations });
  const cited = new Set(checked.citations.map((c) => c.id));
  return { ...reply, answer: checked.text, citations: checked.citations, actions: actionsOfCited(reply, read, cited) };
}
