/** A reader for nginx configuration files: directives, blocks, comments and quotes; no includes. */

export interface Directive {
  name: string;
  args: string[];
  line: number;
  block?: Directive[];
}

interface Token {
  text: string;
  line: number;
  /** `;`, `{` or `}` as syntax, as opposed to a quoted word that happens to be one. */
  special: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === "\n") line++;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (char === ";" || char === "{" || char === "}") {
      tokens.push({ text: char, line, special: true });
      i++;
    } else if (char === '"' || char === "'") {
      const start = line;
      let word = "";
      i++;
      while (i < text.length && text[i] !== char) {
        if (text[i] === "\\" && i + 1 < text.length) word += text[++i] === "n" ? "\n" : text[i];
        else word += text[i];
        if (text[i] === "\n") line++;
        i++;
      }
      if (i >= text.length) throw new Error(`line ${start}: unclosed quote`);
      tokens.push({ text: word, line: start, special: false });
      i++;
    } else {
      let word = "";
      while (i < text.length && !/[\s;{}]/.test(text[i]!)) word += text[i++];
      tokens.push({ text: word, line, special: false });
    }
  }
  return tokens;
}

/** Parses a whole file; throws with the line number on a missing `;`, an unclosed or extra brace. */
export function parseNginx(text: string): Directive[] {
  const tokens = tokenize(text);
  let at = 0;
  const block = (closed: boolean, opener?: number): Directive[] => {
    const directives: Directive[] = [];
    let words: Token[] = [];
    while (at < tokens.length) {
      const token = tokens[at++]!;
      if (!token.special) {
        words.push(token);
      } else if (token.text === "}") {
        if (!closed) throw new Error(`line ${token.line}: unexpected "}"`);
        if (words.length > 0) throw new Error(`line ${words[0]!.line}: "${words[0]!.text}" lacks its ";"`);
        return directives;
      } else if (words.length === 0) {
        throw new Error(`line ${token.line}: "${token.text}" without a directive`);
      } else {
        const [name, ...args] = words;
        const directive: Directive = { name: name!.text, args: args.map((w) => w.text), line: name!.line };
        if (token.text === "{") directive.block = block(true, name!.line);
        directives.push(directive);
        words = [];
      }
    }
    if (words.length > 0) throw new Error(`line ${words[0]!.line}: "${words[0]!.text}" lacks its ";"`);
    if (closed) throw new Error(`line ${opener}: block not closed`);
    return directives;
  };
  return block(false);
}

export function directives(block: Directive[] | undefined, name: string): Directive[] {
  return (block ?? []).filter((d) => d.name === name);
}

/** The value in force at the innermost scope: scopes go from outermost (http) to innermost (location). */
export function effective(scopes: (Directive[] | undefined)[], name: string): string[] | undefined {
  for (const scope of [...scopes].reverse()) {
    const found = directives(scope, name).at(-1);
    if (found) return found.args;
  }
  return undefined;
}

/** An nginx time (`30s`, `1m`, `500ms`, `90`, `1m30s`) in milliseconds. */
export function nginxTimeMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) throw new Error(`"${value}" is not an nginx time`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}

/** The location a request path goes to: the exact match, else the longest prefix (regex locations are not considered). */
export function locationFor(server: Directive[], path: string): Directive | undefined {
  const locations = directives(server, "location");
  const exact = locations.find((l) => l.args[0] === "=" && l.args[1] === path);
  if (exact) return exact;
  const prefixes = locations
    .map((l) => ({ location: l, prefix: l.args[0] === "^~" ? l.args[1] : l.args.length === 1 ? l.args[0] : undefined }))
    .filter((p): p is { location: Directive; prefix: string } => p.prefix !== undefined && path.startsWith(p.prefix));
  return prefixes.sort((a, b) => b.prefix.length - a.prefix.length)[0]?.location;
}
