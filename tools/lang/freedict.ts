/**
 * Bilingual word lists from the FreeDict dictionaries Debian ships (`dict-freedict-*`, dictd format in
 * /usr/share/dictd), read at ingest time when installed, never committed. Each glossary language gets
 * "foreign word → French words", from the X→French dictionary when there is one, from the French→X one turned
 * around, and for Arabic through English (Arabic→English, then English→French). Only French words the knowledge
 * base uses are kept, and only short translations (a word or two, not a definition).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { foldWords } from "./fold.js";
import type { GlossaryLanguage } from "./glossary/index.js";

export const FREEDICT_DIR = "/usr/share/dictd";

/** foreign folded word → French words (best first), per language. */
export type Bilingual = Partial<Record<GlossaryLanguage, Record<string, string[]>>>;

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function dictdNumber(text: string): number {
  let n = 0;
  for (const ch of text) n = n * 64 + B64.indexOf(ch);
  return n;
}

/** The entries of a dictd dictionary: headword → translation lines (numbering, notes and definitions dropped). */
export function readDictd(dir: string, name: string): Map<string, string[]> | null {
  const indexPath = join(dir, `${name}.index`);
  const dictPath = join(dir, `${name}.dict.dz`);
  if (!existsSync(indexPath) || !existsSync(dictPath)) return null;
  const body = gunzipSync(readFileSync(dictPath));
  const entries = new Map<string, string[]>();
  for (const line of readFileSync(indexPath, "utf8").split("\n")) {
    const [head, offset, length] = line.split("\t");
    if (!head || !offset || !length || head.startsWith("00database")) continue;
    const start = dictdNumber(offset);
    const text = body.subarray(start, start + dictdNumber(length)).toString("utf8");
    const translations = text
      .split("\n")
      .slice(1)
      .map((l) => l.replace(/^\s*\d+\.\s*/, "").replace(/<[^>]*>|\([^)]*\)|\/[^/]*\//g, "").trim())
      .flatMap((l) => l.split(/[,;]\s*/))
      .map((l) => l.trim())
      .filter((l) => l !== "" && l.split(/\s+/).length <= 2 && !/[.:!?«»"]/.test(l));
    if (translations.length > 0) entries.set(head, [...(entries.get(head) ?? []), ...translations]);
  }
  return entries;
}

interface Source {
  name: string;
  /** "to-french": X→French; "from-french": French→X, turned around; "via-english": X→English then English→French. */
  kind: "to-french" | "from-french" | "via-english";
}

const SOURCES: Record<GlossaryLanguage, Source[]> = {
  en: [{ name: "freedict-eng-fra", kind: "to-french" }],
  es: [{ name: "freedict-spa-fra", kind: "to-french" }, { name: "freedict-fra-spa", kind: "from-french" }],
  pt: [{ name: "freedict-por-fra", kind: "to-french" }, { name: "freedict-fra-por", kind: "from-french" }],
  de: [{ name: "freedict-deu-fra", kind: "to-french" }, { name: "freedict-fra-deu", kind: "from-french" }],
  it: [{ name: "freedict-ita-fra", kind: "to-french" }, { name: "freedict-fra-ita", kind: "from-french" }],
  ar: [{ name: "freedict-ara-eng", kind: "via-english" }],
};

/** At most this many French words per foreign word: more is noise. */
const PER_WORD = 3;

/**
 * Builds the word lists from the dictionaries installed in `dir`; `known` says whether a French word is one the
 * knowledge base uses. Languages without a dictionary are left out (the hand glossary still covers them).
 */
export function buildBilingual(known: (frenchWord: string) => boolean, dir = FREEDICT_DIR): Bilingual {
  const out: Bilingual = {};
  const english = readDictd(dir, "freedict-eng-fra");
  for (const [lang, sources] of Object.entries(SOURCES) as Array<[GlossaryLanguage, Source[]]>) {
    const table = new Map<string, string[]>();
    const add = (foreign: string, french: string) => {
      const key = foldWords(foreign);
      if (key.length !== 1 || key[0]!.length < 3 || !known(french)) return;
      const list = table.get(key[0]!) ?? [];
      if (!list.includes(french) && list.length < PER_WORD) list.push(french);
      table.set(key[0]!, list);
    };
    for (const source of sources) {
      const dict = readDictd(dir, source.name);
      if (!dict) continue;
      for (const [head, translations] of dict) {
        if (source.kind === "to-french") for (const t of translations) add(head, t);
        else if (source.kind === "from-french") for (const t of translations) add(t, head);
        else if (english) {
          for (const t of translations.slice(0, 2)) for (const f of english.get(t.toLowerCase()) ?? []) add(head, f);
        }
      }
    }
    if (table.size > 0) out[lang] = Object.fromEntries(table);
  }
  return out;
}
