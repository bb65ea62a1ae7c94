/**
 * Contact details an answer may give: the URLs, e-mail addresses and phone numbers of the passages it was written
 * from (and links to the official site). Anything else is masked — an answer must not invent a number to call.
 * One set of rules for the LLM draft (`verifyAnswer`), its streamed tokens (`StreamFilter`) and every final answer
 * (`checkOutput`), so a token shown while streaming never holds what the final answer masks.
 */
import type { Passage } from "../answer/types.js";
import { findPhoneNumbers } from "./phones.js";

export const MASKS = { url: "[lien retiré]", email: "[adresse retirée]", phone: "[numéro retiré]" } as const;

export type ContactKind = keyof typeof MASKS;

/** Hosts whose links are always allowed (the answer's own pointers to the official site). */
export const TRUSTED_HOSTS = ["service-public.fr", "service-public.gouv.fr"];

// Brackets and parentheses end a URL: "https://exemple.fr/a[1]" keeps its citation marker.
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]]*[^\s<>"'()[\].,;:!?]/giu;
const EMAIL_RE = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

const hostAndPath = (url: string) =>
  url.toLowerCase().replace(/^https?:\/\//, "").replace(/^www\./, "").replace(/[.,;:!?]+$/, "").replace(/\/+$/, "");

/**
 * The contact details of a set of passages. Each kind is read from the passages only when an answer holds one
 * (most answers hold none): scanning eight passages for URLs, e-mails and phone numbers costs far more than the
 * answer's own scan.
 */
export class ContactSources {
  private joined: string | undefined;
  private urls: Set<string> | undefined;
  private emails: Set<string> | undefined;
  private phoneNumbers: Set<string> | undefined;

  constructor(
    private readonly passages: Passage[],
    private readonly trustedHosts: string[] = TRUSTED_HOSTS,
  ) {}

  private get text(): string {
    this.joined ??= this.passages.map((p) => `${p.chunk.text}\n${p.chunk.url}\n${p.chunk.title}`).join("\n");
    return this.joined;
  }

  /** A link to a trusted host, to a page of the passages (or its anchor), or a shorter form of one. */
  hasUrl(url: string): boolean {
    const key = hostAndPath(url);
    const host = key.split(/[/?#]/)[0] ?? "";
    if (this.trustedHosts.some((h) => host === h || host.endsWith(`.${h}`))) return true;
    if (!this.urls) {
      this.urls = new Set([...this.text.matchAll(URL_RE)].map((m) => hostAndPath(m[0])));
      for (const p of this.passages) this.urls.add(hostAndPath(p.chunk.url));
    }
    for (const source of this.urls) {
      if (source === key || source.startsWith(`${key}/`) || key.startsWith(`${source}#`)) return true;
    }
    return false;
  }

  hasEmail(email: string): boolean {
    this.emails ??= new Set([...this.text.matchAll(EMAIL_RE)].map((m) => m[0].toLowerCase()));
    return this.emails.has(email.toLowerCase());
  }

  /** `number` in E.164 form (libphonenumber's `number.number`). */
  hasPhone(number: string): boolean {
    this.phoneNumbers ??= new Set(findPhoneNumbers(this.text).map((f) => f.number.number));
    return this.phoneNumbers.has(number);
  }
}

/** Masks the URLs, e-mails and phone numbers of `text` that `sources` do not hold; `onMasked` hears each one. */
export function maskContacts(text: string, sources: ContactSources, onMasked?: (what: ContactKind) => void): string {
  const mask = (what: ContactKind) => {
    onMasked?.(what);
    return MASKS[what];
  };
  let out = text.replace(URL_RE, (url) => (sources.hasUrl(url) ? url : mask("url")));
  out = out.replace(EMAIL_RE, (email) => (sources.hasEmail(email) ? email : mask("email")));
  const invented = findPhoneNumbers(out).filter((found) => !sources.hasPhone(found.number.number));
  for (const found of invented.reverse()) out = `${out.slice(0, found.startsAt)}${mask("phone")}${out.slice(found.endsAt)}`;
  return out;
}
