/**
 * Output guard: what an answer may say. Citations must point at retrieved passages; URLs, phone numbers and email
 * addresses that no retrieved passage contains are masked (an answer must not invent a number to call); and an
 * answer that echoes the prompt's canary string — proof it is repeating hidden instructions — is withheld.
 */
import type { Citation, Passage } from "../answer/types.js";
import { findPhoneNumbers } from "./phones.js";

export interface OutputCheckOptions {
  /** A random string placed in the system prompt; it must never appear in an answer. */
  canary?: string;
  /** The answer's citations, checked against the passages (markers [n] of dropped citations are removed). */
  citations?: Citation[];
  /** Hosts whose links are always allowed (the answer's own pointers to the official site). */
  trustedHosts?: string[];
}

export const TRUSTED_HOSTS = ["service-public.fr", "service-public.gouv.fr"];

export interface OutputCheck {
  text: string;
  citations: Citation[];
  /** What was changed: masked items and dropped citations, counted by kind. */
  masked: { urls: number; phones: number; emails: number; citations: number };
  /** True when the canary was echoed: the text is then replaced by a neutral message. */
  canaryLeak: boolean;
}

export const WITHHELD_ANSWER =
  "Je ne peux pas répondre à cette demande. Pour vos démarches, consultez service-public.fr ou un espace France Services.";

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"')\]]*[^\s<>"')\].,;:!?]/giu;
const EMAIL_RE = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

const hostAndPath = (url: string) =>
  url.toLowerCase().replace(/^https?:\/\//, "").replace(/^www\./, "").replace(/[.,;:!?]+$/, "").replace(/\/$/, "");

/** Checks an answer against the passages it was written from. */
export function checkOutput(answerText: string, passages: Passage[], options: OutputCheckOptions = {}): OutputCheck {
  const masked = { urls: 0, phones: 0, emails: 0, citations: 0 };
  if (options.canary && answerText.includes(options.canary)) {
    return { text: WITHHELD_ANSWER, citations: [], masked, canaryLeak: true };
  }
  const sourceText = passages.map((p) => `${p.chunk.text}\n${p.chunk.url}\n${p.chunk.title}`).join("\n");
  const sourceUrls = new Set([...sourceText.matchAll(URL_RE)].map((m) => hostAndPath(m[0])));
  for (const p of passages) sourceUrls.add(hostAndPath(p.chunk.url));
  const sourceEmails = new Set([...sourceText.matchAll(EMAIL_RE)].map((m) => m[0].toLowerCase()));

  let text = answerText.replace(URL_RE, (url) => {
    const key = hostAndPath(url);
    const host = key.split(/[/?#]/)[0] ?? "";
    if ((options.trustedHosts ?? TRUSTED_HOSTS).some((h) => host === h || host.endsWith(`.${h}`))) return url;
    const known = [...sourceUrls].some((s) => s === key || s.startsWith(`${key}/`) || key.startsWith(`${s}#`));
    if (known) return url;
    masked.urls++;
    return "[lien retiré]";
  });
  text = text.replace(EMAIL_RE, (email) => {
    if (sourceEmails.has(email.toLowerCase())) return email;
    masked.emails++;
    return "[adresse retirée]";
  });
  // The sources are scanned only when the answer holds a number: the scan is the costliest step of this check.
  const inAnswer = findPhoneNumbers(text);
  const sourceDigits = new Set(inAnswer.length > 0 ? findPhoneNumbers(sourceText).map((f) => f.number.number) : []);
  const phones = inAnswer.filter((f) => !sourceDigits.has(f.number.number));
  for (const found of [...phones].reverse()) {
    text = `${text.slice(0, found.startsAt)}[numéro retiré]${text.slice(found.endsAt)}`;
    masked.phones++;
  }

  const ficheIds = new Set(passages.map((p) => p.chunk.ficheId));
  const citations = (options.citations ?? []).filter((c) => ficheIds.has(c.id));
  const kept = new Set(citations.map((c) => c.n));
  text = text.replace(/\s?\[(\d+)\]/g, (marker, n: string) => {
    if (options.citations === undefined || kept.has(Number(n))) return marker;
    masked.citations++;
    return "";
  });
  masked.citations = Math.max(masked.citations, (options.citations?.length ?? 0) - citations.length);
  return { text, citations, masked, canaryLeak: false };
}
