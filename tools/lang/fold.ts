/** Arabic short vowels and other marks that writers add or leave out. */
const ARABIC_MARKS = /[\u064B-\u065F\u0670\u0640]/g;
/** Arabic article and the one-letter words glued before it ("و", "ب", "ف", "ك" + "ال", and "لل"). */
const ARABIC_ARTICLE = /^(?:[وبفك]?ال|لل)(?=\p{L}{2,})/u;

function foldArabicWord(word: string): string {
  return word.replace(/[أإآ]/g, "ا").replace(/ى/g, "ي").replace(/ة/g, "ه").replace(ARABIC_ARTICLE, "");
}

/**
 * Words of a text for glossary matching, case- and accent-insensitive: lower case, Latin diacritics
 * removed (NFD), apostrophes and hyphens split words, Arabic letters folded and the article dropped.
 */
export function foldWords(text: string): string[] {
  const latin = text
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(ARABIC_MARKS, "");
  return (latin.match(/[\p{L}\p{N}]+/gu) ?? []).map((word) => (/[\u0600-\u06FF]/.test(word) ? foldArabicWord(word) : word));
}
