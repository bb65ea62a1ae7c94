import { readFileSync } from "node:fs";
import type { z } from "zod";

/**
 * Reads a JSON-lines file, each non-blank line checked with the schema; fails with the file, the line number and
 * what is wrong on the first bad line. `check` may refuse a parsed line (a duplicate id…) with a message.
 */
export function readJsonLines<T>(path: string, schema: z.ZodType<T>, check: (item: T) => string | undefined = () => undefined): T[] {
  const items: T[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, index) => {
      if (line.trim() === "") return;
      const where = `${path}:${index + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw new Error(`${where}: invalid JSON (${(error as Error).message})`, { cause: error });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new Error(`${where}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "line"}: ${i.message}`).join("; ")}`);
      const problem = check(parsed.data);
      if (problem) throw new Error(`${where}: ${problem}`);
      items.push(parsed.data);
    });
  return items;
}
