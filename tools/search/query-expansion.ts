import { analyze, foldAccents } from "./analyzer.js";
import { CITIZEN_TO_OFFICIAL } from "./thesaurus.js";


const PATTERNS = Object.entries(CITIZEN_TO_OFFICIAL).map(([key, value]) => ({
  pattern: new RegExp(`(?:^|[^\\p{L}\\p{N}])${key.replace(/ /g, "\\s+")}(?=$|[^\\p{L}\\p{N}])`, "u"),
  official: value,
  terms: analyze(value),
}));

function matchingEntries(question: string): typeof PATTERNS {
  const folded = foldAccents(question.toLowerCase()).replace(/['’]/g, " ");
  return PATTERNS.filter(({ pattern }) => pattern.test(folded));
}

/** Weight of an added term relative to a term the user wrote. */
export const EXPANSION_WEIGHT = 0.7;

/** Query terms with weights: the question's own terms (1 each occurrence), plus official synonyms. */
export function expandQuery(question: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of analyze(question)) weights.set(term, (weights.get(term) ?? 0) + 1);
  for (const { terms } of matchingEntries(question)) {
    for (const term of terms) if (!weights.has(term)) weights.set(term, EXPANSION_WEIGHT);
  }
  return weights;
}

/** The question followed by the official wording of what it says (what the dense leg embeds). */
export function expandQuestionText(question: string): string {
  const official = matchingEntries(question).map((entry) => entry.official);
  return official.length === 0 ? question : `${question} ${official.join(" ")}`;
}
