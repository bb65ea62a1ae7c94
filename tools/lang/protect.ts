/** Text with its untouchable parts replaced by numbered placeholders ⟦1⟧, ⟦2⟧… */
export interface Protected {
  text: string;
  /** What each placeholder stands for, by number (index 0 is placeholder ⟦1⟧). */
  values: string[];
}

const URL = /https?:\/\/[^\s)\]>]+[^\s)\]>.,;:!?]/g;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const CITATION = /\[\d+\](?:\s*\[\d+\])*/g;
const AMOUNT = /\d[\d\s\u00a0\u202f.,]*\s?(?:€|euros?|%)/gi;
const FORM = /\b(?:cerfa\s*(?:n°\s*)?\d[\d*]*|n°\s*\d[\d*/-]*)/gi;
const NUMBER = /\b\d+(?:[.,]\d+)?\b/g;
const PLACEHOLDER = /⟦(\d+)⟧/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Replaces what a translation must not change — fiche titles (given), URLs, e-mail addresses, citation
 * markers [n], amounts, form numbers and other numbers — by placeholders, in one pass: at each position the
 * first kind in that order wins, so a title or URL keeps the numbers inside it.
 */
export function protect(text: string, titles: string[] = []): Protected {
  const values: string[] = [];
  const kinds = [
    ...titles.filter((t) => t.trim() !== "").sort((a, b) => b.length - a.length).map(escapeRegExp),
    ...[URL, EMAIL, CITATION, AMOUNT, FORM, NUMBER].map((r) => r.source),
  ];
  const combined = new RegExp(kinds.map((k) => `(?:${k})`).join("|"), "gi");
  const out = text.replace(combined, (match) => {
    const kept = match.trimEnd();
    values.push(kept);
    return `⟦${values.length}⟧${match.slice(kept.length)}`;
  });
  return { text: out, values };
}

/** Puts the protected parts back; null when a placeholder went missing, was duplicated or was invented. */
export function restore(text: string, values: string[]): string | null {
  const seen = new Map<number, number>();
  for (const match of text.matchAll(PLACEHOLDER)) {
    const n = Number(match[1]);
    seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  for (let n = 1; n <= values.length; n++) if (seen.get(n) !== 1) return null;
  if ([...seen.keys()].some((n) => n < 1 || n > values.length)) return null;
  return text.replace(PLACEHOLDER, (_, n: string) => values[Number(n) - 1]!);
}
