import { normalizeText } from "../guard/normalize.js";
import { redactPii } from "../guard/pii.js";

/**
 * A rating's comment as it may be stored: normalised and redacted as the guard does a question (invisible
 * characters removed first, so that they cannot hide an e-mail or a number), whitespace folded. Undefined when
 * nothing is left.
 */
export function redactedComment(comment: string): string | undefined {
  const clean = normalizeText(comment).clean;
  return clean === "" ? undefined : redactPii(clean).text;
}
