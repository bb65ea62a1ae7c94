import type { Passage } from "./types.js";
import { ContactSources, maskContacts } from "../guard/contacts.js";

/**
 * Where the text that could still grow into a URL, e-mail, phone number or citation starts: the last
 * unfinished word, a trailing run of digits and separators ("01 23 45" may go on), or an unclosed "[1, 2".
 */
function heldFrom(pending: string): number {
  let from = pending.search(/\S+$/);
  if (from === -1) from = pending.length;
  const number = /[+(]?\d[\d\s.()-]*$/.exec(pending);
  if (number) from = Math.min(from, number.index);
  const citation = /\[[\d\s,;]*$/.exec(pending);
  if (citation) from = Math.min(from, citation.index);
  return from;
}

/**
 * Makes a streamed draft safe to show before `verify` sees it: text is released up to a point where no URL,
 * e-mail, phone number or citation can still be growing, with the contact details the passages do not contain
 * masked by the rules of `verifyAnswer` and of the output guard (tools/guard/contacts.ts). A draft that echoes
 * the prompt's canary is cut at the canary.
 */
export class StreamFilter {
  private readonly sources;
  private pending = "";
  private released = "";
  private stopped = false;

  constructor(
    passages: Passage[],
    private readonly canary?: string,
  ) {
    this.sources = new ContactSources(passages);
  }

  /** Takes the next delta; returns the text now safe to show ("" while it is held back). */
  push(delta: string): string {
    if (this.stopped) return "";
    this.pending += delta;
    const seen = this.released + this.pending;
    if (this.canary && seen.includes(this.canary)) {
      // Nothing more of this draft goes out; verify rejects it and the extractive answer follows a reset.
      this.stopped = true;
      this.pending = "";
      return "";
    }
    // The canary is one word: held as the unfinished last word until it is whole, then caught above.
    return this.release(heldFrom(this.pending));
  }

  /** The end of the draft: the rest, masked. */
  flush(): string {
    if (this.stopped) return "";
    return this.release(this.pending.length);
  }

  private release(cut: number): string {
    if (cut <= 0) return "";
    const piece = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    this.released += piece;
    return maskContacts(piece, this.sources);
  }
}
