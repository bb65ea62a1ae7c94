import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Files of `dir` matching `pattern`, sorted by name. */
export function listFiles(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** Hash of file names and sizes: changes when a file is added, removed or resized. */
export function fingerprintFiles(files: string[], salt: string): string {
  const hash = createHash("sha256").update(salt);
  for (const file of files) hash.update(`${file.split("/").pop()}:${statSync(file).size}\n`);
  return hash.digest("hex").slice(0, 16);
}

export function sha256(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}
