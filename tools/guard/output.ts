/**
 * Output guard: what an answer may say. Citations must point at retrieved passages; URLs, phone numbers and email
 * addresses that no retrieved passage contains are masked (an answer must not invent a number to call); and an
 * answer that echoes the prompt's canary string — proof it is repeating hidden instructions — is withheld.
 */
import type { Citation, Passage } from "../answer/types.js";
import { ContactSources, maskContacts } from "./contacts.js";

export interface OutputCheckOptions {
  /** A random string placed in the system prompt; it must never appear in an answer. */
  canary?: string;
  /** The answer's citations, checked against the passages (markers [n] of dropped citations are removed). */
  citations?: Citation[];
  /** Hosts whose links are always allowed (default: `TRUSTED_HOSTS` of tools/guard/contacts.ts). */
  trustedHosts?: string[];
}

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

/** Checks an answer against the passages it was written from. */
export function checkOutput(answerText: string, passages: Passage[], options: OutputCheckOptions = {}): OutputCheck {
  const masked = { urls: 0, phones: 0, emails: 0, citations: 0 };
  if (options.canary && answerText.includes(options.canary)) {
    return { text: WITHHELD_ANSWER, citations: [], masked, canaryLeak: true };
  }
  const sources = new ContactSources(passages, options.trustedHosts);
  const counted = { url: "urls", email: "emails", phone: "phones" } as const;
  let text = maskContacts(answerText, sources, (what) => masked[counted[what]]++);

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
