import { lstatSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Never the repository's own files: installed packages and git's store, wherever they are. */
const SKIPPED_ANYWHERE = new Set(["node_modules", ".git"]);
/** Generated, git-ignored folders at the root. A folder of the same name deeper down is still read. */
const SKIPPED_AT_ROOT = new Set(["data", "reports", "coverage", "dist", "scratch"]);

export const isYamlFile = (name: string): boolean => /\.ya?ml$/i.test(name);

/** `.env.example`, `guichet.env`: dotenv files meant to be committed. `.env` itself is each developer's own, and git-ignored. */
export const isDotenvFile = (name: string): boolean => name !== ".env" && (/^\.env\../.test(name) || /.\.env$/.test(name));

/** The repository's files whose name matches, relative to root with forward slashes, sorted. Symbolic links are not followed. */
export function listRepoFiles(root: string, matches: (name: string) => boolean): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) {
        if (!SKIPPED_ANYWHERE.has(name) && !(dir === root && SKIPPED_AT_ROOT.has(name))) visit(path);
      } else if (stat.isFile() && matches(name)) {
        found.push(relative(root, path).split(sep).join("/"));
      }
    }
  };
  visit(root);
  return found.sort();
}
