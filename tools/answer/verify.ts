import { toCitation } from "./extractive.js";
import { ContactSources, maskContacts } from "../guard/contacts.js";
import type { Citation, Passage, Reply } from "./types.js";

export type VerifyIssue =
  | { kind: "invalid_citation"; n: number }
  | { kind: "masked"; what: "url" | "email" | "phone" }
  | { kind: "no_valid_citation" }
  | { kind: "canary_leak" };

export interface VerifyResult {
  /** The checked reply, or null when it must be replaced by the extractive one. */
  reply: Reply | null;
  issues: VerifyIssue[];
}

const CITATION = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;

/**
 * Checks a generated answer against the passages it was given: every [n] must name one of them (others are
 * dropped), URLs, e-mails and phone numbers absent from the sources are masked (tools/guard/contacts.ts), the
 * prompt's canary must not appear. Citations are renumbered in order of first use, one number per fiche, as the
 * extractive answer does. An answer left without any valid citation yields `reply: null`.
 */
export function verifyAnswer(text: string, passages: Passage[], options: { canary?: string } = {}): VerifyResult {
  const issues: VerifyIssue[] = [];
  if (options.canary && text.includes(options.canary)) return { reply: null, issues: [{ kind: "canary_leak" }] };

  let checked = maskContacts(text, new ContactSources(passages), (what) => issues.push({ kind: "masked", what }));

  const citations: Citation[] = [];
  const numberOf = (passage: Passage): number => {
    let citation = citations.find((c) => c.id === passage.chunk.ficheId);
    if (!citation) {
      citation = toCitation(citations.length + 1, passage);
      citations.push(citation);
    }
    return citation.n;
  };
  checked = checked.replace(CITATION, (_whole, list: string) => {
    const kept: number[] = [];
    for (const n of list.split(/\s*[,;]\s*/).map(Number)) {
      const passage = passages[n - 1];
      if (!passage) {
        issues.push({ kind: "invalid_citation", n });
        continue;
      }
      const renumbered = numberOf(passage);
      if (!kept.includes(renumbered)) kept.push(renumbered);
    }
    return kept.map((n) => `[${n}]`).join("");
  });
  // A dropped citation leaves a space before the period; French keeps its space before ; : ! ?
  checked = checked.replace(/[ \t]+([.,])/g, "$1").replace(/[ \t]{2,}/g, " ").trim();

  if (citations.length === 0) return { reply: null, issues: [...issues, { kind: "no_valid_citation" }] };
  return { reply: { answer: checked, citations, found: true }, issues };
}
