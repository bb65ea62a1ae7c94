import type { Chunk } from "./chunk.js";
import { chunkActions } from "./chunk-actions.js";
import type { Fiche } from "./fiche.js";

export interface ChunkOptions {
  /** Sections longer than this many words are split at line boundaries. */
  maxWords: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxWords: 220 };

/** Chunks a fiche by section; each chunk carries its breadcrumb and the fiche's metadata. */
export function chunkFiche(fiche: Fiche, source: string, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): Chunk[] {
  const chunks: Chunk[] = [];
  for (const section of fiche.sections) {
    for (const text of splitLongText(section.text, options.maxWords)) {
      const actions = chunkActions(fiche, section.path, text);
      chunks.push({
        id: `${fiche.id}#${chunks.length}`,
        ficheId: fiche.id,
        title: fiche.title,
        path: section.path,
        breadcrumb: [fiche.title, ...section.path].join(" > "),
        text,
        ...(chunks.length === 0 && fiche.description ? { summary: fiche.description } : {}),
        url: fiche.url,
        audience: fiche.audience,
        theme: fiche.theme,
        date: fiche.date,
        source,
        ...(section.situations ? { situations: section.situations } : {}),
        ...(actions.length > 0 ? { actions } : {}),
      });
    }
  }
  return chunks;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Splits at line boundaries so that lists and table rows stay whole; a lone long line stays one part. */
export function splitLongText(text: string, maxWords: number): string[] {
  if (wordCount(text) <= maxWords) return [text];
  const parts: string[] = [];
  let current: string[] = [];
  let count = 0;
  for (const line of text.split("\n")) {
    const n = wordCount(line);
    if (count > 0 && count + n > maxWords) {
      parts.push(current.join("\n"));
      current = [];
      count = 0;
    }
    current.push(line);
    count += n;
  }
  if (current.length > 0) parts.push(current.join("\n"));
  return parts;
}
