import { toCitation } from "./extractive.js";
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
const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>()[\]"']+[^\s<>()[\]"'.,;:!?]/gi;
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;
// French numbers (0X XX XX XX XX, +33 X XX XX XX XX, with spaces, dots or dashes) and other international ones.
const PHONE = /(?<![\w+])(?:\+\d{2,3}[\s.-]?\(?0?\)?[\s.-]?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)/g;

export const MASKS = { url: "[lien retiré]", email: "[adresse retirée]", phone: "[numéro retiré]" } as const;

const digits = (s: string) => s.replace(/\D/g, "");
const normUrl = (s: string) => s.toLowerCase().replace(/^https?:\/\//, "").replace(/^www\./, "").replace(/\/+$/, "");

/**
 * Checks a generated answer against the passages it was given: every [n] must name one of them (others are
 * dropped), URLs, e-mails and phone numbers absent from the sources are masked, the prompt's canary must not
 * appear. Citations are renumbered in order of first use, one number per fiche, as the extractive answer does.
 * An answer left without any valid citation yields `reply: null`.
 */
export function verifyAnswer(text: string, passages: Passage[], options: { canary?: string } = {}): VerifyResult {
  const issues: VerifyIssue[] = [];
  if (options.canary && text.includes(options.canary)) return { reply: null, issues: [{ kind: "canary_leak" }] };

  const sources = passages.map((p) => `${p.chunk.text}\n${p.chunk.url}`).join("\n");
  const sourceUrls = (sources.match(URL_PATTERN) ?? []).map(normUrl);
  const sourceEmails = new Set((sources.match(EMAIL) ?? []).map((e) => e.toLowerCase()));
  const sourcePhones = new Set((sources.match(PHONE) ?? []).map(digits));
  let checked = text
    .replace(URL_PATTERN, (url) => {
      const u = normUrl(url);
      if (sourceUrls.some((s) => s === u || s.startsWith(`${u}/`) || u.startsWith(`${s}/`))) return url;
      issues.push({ kind: "masked", what: "url" });
      return MASKS.url;
    })
    .replace(EMAIL, (email) => {
      if (sourceEmails.has(email.toLowerCase())) return email;
      issues.push({ kind: "masked", what: "email" });
      return MASKS.email;
    })
    .replace(PHONE, (phone) => {
      if (sourcePhones.has(digits(phone))) return phone;
      issues.push({ kind: "masked", what: "phone" });
      return MASKS.phone;
    });

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
