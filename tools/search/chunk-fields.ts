import type { Chunk } from "../../corpus/chunk.js";

export type FieldName = "title" | "heads" | "summary" | "body";

/** The text of each field of a chunk, before analysis. */
export function chunkFields(chunk: Chunk): Record<FieldName, string> {
  return {
    title: chunk.title,
    heads: [...chunk.path, chunk.theme].join(" "),
    summary: chunk.summary ?? "",
    body: chunk.text,
  };
}
