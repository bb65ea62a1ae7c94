const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in element content and in quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * JSON that can sit inside a `<script>` element: `<`, `>` and `&` become \u escapes so that no string can close the
 * element or open a comment, and U+2028/U+2029 are escaped for old parsers. JSON.parse gives the same value back.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A data island: the page's script reads it with JSON.parse(element.textContent). */
export const jsonIsland = (id: string, value: unknown): string =>
  `<script type="application/json" id="${escapeHtml(id)}">${scriptSafeJson(value)}</script>`;

/** Shares as the eval tables print them: three decimals, a dash when undefined. */
export const formatShare = (value: number | null | undefined): string => (value === null || value === undefined ? "—" : value.toFixed(3));
