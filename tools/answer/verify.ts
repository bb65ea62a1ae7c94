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

export type ContactKind = keyof typeof MASKS;

/** The URLs, e-mails and phone numbers the passages contain: the only ones an answer may give. */
export interface ContactSources {
  urls: string[];
  emails: Set<string>;
  phones: Set<string>;
}

const digits = (s: string) => s.replace(/\D/g, "");
const normUrl = (s: string) => s.toLowerCase().replace(/^https?:\/\//, "").replace(/^www\./, "").replace(/\/+$/, "");

export function contactSources(passages: Passage[]): ContactSources {
  const sources = passages.map((p) => `${p.chunk.text}\n${p.chunk.url}`).join("\n");
  return {
    urls: (sources.match(URL_PATTERN) ?? []).map(normUrl),
    emails: new Set((sources.match(EMAIL) ?? []).map((e) => e.toLowerCase())),
    phones: new Set((sources.match(PHONE) ?? []).map(digits)),
  };
}

/**
 * Masks the URLs, e-mails and phone numbers of `text` that are not in the sources; `onMasked` hears each one.
 * Used on the whole draft by `verifyAnswer` and on each safe piece of a streamed draft (tools/answer/stream-filter.ts).
 */
export function maskContacts(text: string, sources: ContactSources, onMasked?: (what: ContactKind) => void): string {
  const mask = (what: ContactKind) => {
    onMasked?.(what);
    return MASKS[what];
  };
  return text
    .replace(URL_PATTERN, (url) => {
      const u = normUrl(url);
      return sources.urls.some((s) => s === u || s.startsWith(`${u}/`) || u.startsWith(`${s}/`)) ? url : mask("url");
    })
    .replace(EMAIL, (email) => (sources.emails.has(email.toLowerCase()) ? email : mask("email")))
    .replace(PHONE, (phone) => (sources.phones.has(digits(phone)) ? phone : mask("phone")));
}

/**
 * Checks a generated answer against the passages it was given: every [n] must name one of them (others are
 * dropped), URLs, e-mails and phone numbers absent from the sources are masked, the prompt's canary must not
 * appear. Citations are renumbered in order of first use, one number per fiche, as the extractive answer does.
 * An answer left without any valid citation yields `reply: null`.
 */
export function verifyAnswer(text: string, passages: Passage[], options: { canary?: string } = {}): VerifyResult {
  const issues: VerifyIssue[] = [];
  if (options.canary && text.includes(options.canary)) return { reply: null, issues: [{ kind: "canary_leak" }] };

  let checked = maskContacts(text, contactSources(passages), (what) => issues.push({ kind: "masked", what }));

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
