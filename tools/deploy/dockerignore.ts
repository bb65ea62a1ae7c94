/** One line of a .dockerignore: a path pattern, or an exception to the patterns above it (`!`). */
export interface IgnoreRule {
  pattern: string;
  negate: boolean;
  regex: RegExp;
}

/** A pattern as Docker reads it: `*` and `?` stay within one path segment, `**` spans any number of them. */
function toRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** The rules of a .dockerignore, in order (comments and blank lines dropped, paths cleaned as Docker does). */
export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      const pattern = (negate ? line.slice(1) : line).trim().replace(/^\/+/, "").replace(/\/+$/, "");
      return { pattern, negate, regex: toRegExp(pattern) };
    });
}

/**
 * Whether a path of the build context (relative, `/`-separated) is left out. As in Docker, a pattern that
 * matches a parent folder matches what it holds, and the last matching rule decides.
 */
export function isIgnored(rules: IgnoreRule[], path: string): boolean {
  const segments = path.replace(/^\.?\/+/, "").replace(/\/+$/, "").split("/");
  const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.negate;
  }
  return ignored;
}
