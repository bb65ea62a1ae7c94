/**
 * Normalisation of a question before the guard inspects it.
 *
 * Two forms come out: `clean` keeps the question's meaning (NFKC, invisible characters removed, whitespace folded)
 * and is what the rest of the graph sees; `views` are lower-cased, accent-free forms made only for detection, in
 * which look-alike letters, leetspeak, spaced-out letters and encoded payloads are undone.
 */

export type NormalizationFlag = "invisible_characters" | "homoglyphs" | "leetspeak" | "spaced_letters" | "encoded_payload";

export interface NormalizedText {
  /** NFKC, invisible characters removed, whitespace folded and trimmed: the question as used downstream. */
  clean: string;
  /** Detection views: the clean text folded (lower case, no accents), then with obfuscations undone, then payloads. */
  views: string[];
  /** Texts decoded from base64, hex or Unicode tag characters, folded. */
  decoded: string[];
  flags: NormalizationFlag[];
}

// Zero-width and formatting characters, bidi controls, soft hyphen, word joiners, variation selectors, BOM.
const INVISIBLE =
  /\u034F|\u180B|\u180C|\u180D|\u180E|\u180F|\u17B4|\u17B5|\u115F|\u1160|[\u00AD\u061C\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0]|[\u{FE00}-\u{FE0F}]|[\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}]/gu;
// Unicode "tag" characters (U+E0000–E007F) mirror ASCII and are used to smuggle hidden text.
const TAGS = /[\u{E0020}-\u{E007E}]+/gu;

/** Cyrillic and Greek letters that look like Latin ones (lower case; the text is lower-cased first). */
const HOMOGLYPHS: Record<string, string> = {
  а: "a", в: "b", е: "e", ё: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x",
  і: "i", ї: "i", ј: "j", ѕ: "s", ԁ: "d", ӏ: "l", ԛ: "q", ԝ: "w", һ: "h", ɡ: "g", ɑ: "a", ı: "i",
  α: "a", β: "b", ε: "e", η: "n", ι: "i", κ: "k", ν: "v", ο: "o", ρ: "p", τ: "t", υ: "u", χ: "x", γ: "y",
  ω: "w", μ: "u", ϲ: "c", ѵ: "v", ℓ: "l",
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`, "g");

const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", $: "s", "!": "i", "|": "l", "€": "e" };

/** Removes invisible characters; returns the text and whether any were found. */
export function stripInvisible(text: string): { text: string; found: boolean } {
  const withoutTags = text.replace(TAGS, "");
  const text2 = withoutTags.replace(INVISIBLE, "");
  return { text: text2, found: text2.length !== text.length };
}

/** Lower case, compatibility-decomposed, accents removed. */
export function fold(text: string): string {
  return text.toLowerCase().normalize("NFKD").replace(/\p{M}+/gu, "").replace(/[’‘`´]/g, "'");
}

function mapHomoglyphs(text: string): { text: string; found: boolean } {
  let found = false;
  const mapped = text.replace(/[\p{L}\p{N}]+/gu, (word) => {
    const chars = [...word];
    if (!chars.some((ch) => HOMOGLYPHS[ch] !== undefined)) return word;
    // A real Cyrillic or Greek word keeps its letters; a word mixing scripts, or made only of look-alikes, is a disguise.
    if (!/[a-z]/.test(word) && !chars.every((ch) => HOMOGLYPHS[ch] !== undefined || /[0-9]/.test(ch))) return word;
    found = true;
    return word.replace(HOMOGLYPH_RE, (ch) => HOMOGLYPHS[ch] ?? ch);
  });
  return { text: mapped, found };
}

/** Leetspeak inside words that mix letters with digits or symbols ("1gn0r3", "pr0mpt", "$ystem"). */
function foldLeet(text: string): { text: string; found: boolean } {
  let found = false;
  const out = text.replace(/[\p{L}0-9@$!|€]+/gu, (token) => {
    if (!/\p{L}/u.test(token) || !/[0-9@$!|€]/.test(token)) return token;
    // Codes such as "2a", "f34752", "b2" or postcodes with letters are not leetspeak: require mostly letters.
    const letters = (token.match(/\p{L}/gu) ?? []).length;
    if (letters < 2 || token.length < 3 || letters < token.length - letters) return token;
    found = true;
    return [...token].map((ch) => LEET[ch] ?? ch).join("");
  });
  return { text: out, found };
}

/**
 * "i g n o r e", "i.g.n.o.r.e", "i-g-n-o-r-e": runs of three or more single letters joined (two or more spaces
 * end a run, as they separate spaced-out words); flagged when a run has four letters or more (not an acronym).
 */
function joinSpacedLetters(text: string): { text: string; found: boolean } {
  let found = false;
  const join = (run: string) => {
    const joined = run.replace(/[ .\-_*/]/g, "");
    if (joined.length >= 4) found = true;
    return joined;
  };
  // Letters joined by punctuation first ("i-g-n-o-r-e t-e-s"): there a plain space ends a word.
  const punctuated = text.replace(/(?<![\p{L}\p{N}])\p{L}(?:[.\-_*/]\p{L}(?![\p{L}\p{N}])){2,}/gu, join);
  const out = punctuated.replace(/(?<![\p{L}\p{N}])\p{L}(?:(?: |[.\-_*/] ?)\p{L}(?![\p{L}\p{N}])){2,}/gu, (run) => {
    const joined = run.replace(/[ .\-_*/]/g, "");
    if (joined.length >= 4) found = true;
    return joined;
  });
  return { text: out.replace(/\s+/g, " ").trim(), found };
}

/** Share of characters that look like natural text. */
function readable(text: string): boolean {
  if (text.length < 6) return false;
  const good = (text.match(/[\p{L}\p{N} .,;:'"!?()\-\n]/gu) ?? []).length;
  return good / text.length > 0.9 && /\p{L}{3,}/u.test(text) && /\s/.test(text);
}

/** Decodes base64 and hex payloads, and Unicode tag characters, when they decode to readable text. */
export function decodePayloads(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
    const decoded = Buffer.from(match[0].replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    if (readable(decoded)) found.push(decoded);
  }
  for (const match of text.matchAll(/(?:(?:\\x|0x)?[0-9a-fA-F]{2}[ :]?){8,}/g)) {
    const hex = match[0].replace(/\\x|0x|[ :]/g, "");
    const decoded = Buffer.from(hex, "hex").toString("utf8");
    if (readable(decoded)) found.push(decoded);
  }
  for (const match of text.matchAll(TAGS)) {
    const decoded = [...match[0]].map((ch) => String.fromCharCode(ch.codePointAt(0)! - 0xe0000)).join("");
    if (decoded.trim()) found.push(decoded);
  }
  return found;
}

/** Normalises a question: the clean form for use downstream, and detection views with obfuscations undone. */
export function normalizeText(input: string): NormalizedText {
  const flags = new Set<NormalizationFlag>();
  const decodedRaw = decodePayloads(input.normalize("NFKC"));
  const stripped = stripInvisible(input.normalize("NFKC"));
  if (stripped.found) flags.add("invisible_characters");
  const clean = stripped.text.replace(/\s+/g, " ").trim();

  const folded = fold(clean);
  // Spaced-out letters are read before whitespace is folded: wide gaps tell words apart.
  const homoglyphs = mapHomoglyphs(fold(stripped.text.trim()));
  if (homoglyphs.found) flags.add("homoglyphs");
  const spaced = joinSpacedLetters(homoglyphs.text);
  if (spaced.found) flags.add("spaced_letters");
  const leet = foldLeet(spaced.text);
  if (leet.found) flags.add("leetspeak");

  const decoded = decodedRaw.map((d) => fold(stripInvisible(d).text.replace(/\s+/g, " ").trim()));
  if (decoded.length > 0) flags.add("encoded_payload");
  const views = [...new Set([folded, leet.text, ...decoded])];
  return { clean, views, decoded, flags: [...flags] };
}
