/**
 * Readers for the word lists, thesaurus and glossaries kept as data files in `lexicon/` (one place to edit them,
 * no code change). Files are read once, at module load; a malformed line stops start-up with its file and line.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { z } from "zod";

/** Absolute path of a file under the repository's `lexicon/` folder. */
export function lexiconPath(name: string): string {
  return fileURLToPath(new URL(`../../lexicon/${name}`, import.meta.url));
}

/** Two-column TSV (`# …` lines are comments, blank lines skipped); both columns must be non-empty. */
export function readPairs(name: string): [string, string][] {
  const path = lexiconPath(name);
  return parsePairs(readFileSync(path, "utf8"), path);
}

/** Parses two-column TSV text; `origin` names it in error messages. */
export function parsePairs(text: string, origin: string): [string, string][] {
  const pairs: [string, string][] = [];
  text
    .split("\n")
    .forEach((raw, index) => {
      const line = raw.replace(/\r$/, "");
      if (line.trim() === "" || line.startsWith("#")) return;
      const [left, right, ...rest] = line.split("\t").map((cell) => cell.trim());
      if (!left || !right || rest.length > 0) {
        throw new Error(`${origin}:${index + 1}: expected two tab-separated, non-empty columns`);
      }
      pairs.push([left, right]);
    });
  return pairs;
}

/** A JSON file checked against a zod schema. */
export function readJson<T>(name: string, schema: z.ZodType<T>): T {
  const path = lexiconPath(name);
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".") || "file"}: ${i.message}`).join("; ");
    throw new Error(`${path}: ${detail}`);
  }
  return parsed.data;
}
