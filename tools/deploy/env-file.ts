/** Reads a dotenv file the way Docker Compose reads `.env`: `KEY=value` lines, `#` comments, optional quotes. */

export interface EnvEntry {
  name: string;
  value: string;
  line: number;
  /** A comment sits in the entry's paragraph (the lines since the last blank line). */
  documented: boolean;
}

export interface EnvFile {
  entries: EnvEntry[];
  values: Record<string, string>;
  errors: string[];
}

const ENTRY = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

function unquote(raw: string): string {
  const quoted = /^(["'])(.*)\1\s*(?:#.*)?$/.exec(raw);
  if (quoted) return quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1") : quoted[2]!;
  // Unquoted: a comment starts at " #".
  return raw.replace(/\s+#.*$/, "").trim();
}

export function parseEnvFile(text: string): EnvFile {
  const file: EnvFile = { entries: [], values: {}, errors: [] };
  let commented = false;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") {
      commented = false;
      return;
    }
    if (line.startsWith("#")) {
      commented = true;
      return;
    }
    const match = ENTRY.exec(line);
    if (!match) {
      file.errors.push(`line ${index + 1}: not a KEY=value line`);
      return;
    }
    const name = match[1]!;
    if (name in file.values) file.errors.push(`line ${index + 1}: ${name} is set twice`);
    const value = unquote(match[2]!);
    file.values[name] = value;
    file.entries.push({ name, value, line: index + 1, documented: commented });
  });
  return file;
}
