import type { Chunk } from "../../corpus/chunk.js";
import { analyze } from "../search/analyzer.js";

/**
 * Analysed terms of the texts the answerer reads again and again (a fiche's units, headings and whole chunks), kept
 * for the most recently read ones. Chunk texts never change once the index is loaded; the bound keeps memory flat.
 */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}

  get(key: K, make: () => V): V {
    const found = this.map.get(key);
    if (found !== undefined) return found;
    const value = make();
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
    return value;
  }
}

const texts = new BoundedCache<string, Set<string>>(60_000);
const chunks = new BoundedCache<Chunk, { whole: Set<string>; heads: Set<string>; title: Set<string> }>(8_000);

/** The analysed terms of a text (a unit, a heading), as a set. */
export function termsOf(text: string): Set<string> {
  return texts.get(text, () => new Set(analyze(text)));
}

/** A chunk's terms: of its title, headings and text together; of its headings; of its title. */
export function chunkTerms(chunk: Chunk): { whole: Set<string>; heads: Set<string>; title: Set<string> } {
  return chunks.get(chunk, () => ({
    whole: new Set(analyze(`${chunk.title} ${chunk.path.join(" ")} ${chunk.text}`)),
    heads: new Set(analyze(chunk.path.join(" "))),
    title: new Set(analyze(chunk.title)),
  }));
}
