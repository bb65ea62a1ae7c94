/**
 * Docker Compose's variable interpolation, as `docker compose config` applies it to every value of
 * the file: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
 * `${VAR:+other}`, `${VAR+other}` (defaults may nest), and `$$` for a literal `$`.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface Interpolated {
  value: string;
  /** Every variable the text names, in order of appearance, each once. */
  names: string[];
  /** Unclosed braces, bad names, and the messages of `:?` / `?` variables that are missing. */
  errors: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The index of the `}` closing the `${` at `start`, or -1. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text.startsWith("${", i)) {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/** The value of one `${...}` body such as `VAR:-default`. */
function expandBraced(body: string, env: Env, out: Interpolated): string {
  const name = NAME.exec(body)?.[0];
  if (!name) {
    out.errors.push(`"\${${body}}" does not start with a variable name`);
    return "";
  }
  if (!out.names.includes(name)) out.names.push(name);
  const rest = body.slice(name.length);
  const value = env[name];
  const operator = /^(:-|-|:\?|\?|:\+|\+)?/.exec(rest)?.[0] ?? "";
  if (operator === "" && rest !== "") {
    out.errors.push(`"\${${body}}" has an unknown modifier "${rest}"`);
    return value ?? "";
  }
  const argument = () => expand(rest.slice(operator.length), env, out);
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  switch (operator) {
    case ":-":
      return nonEmpty ? value : argument();
    case "-":
      return set ? value : argument();
    case ":?":
    case "?":
      if (operator === ":?" ? !nonEmpty : !set) {
        out.errors.push(`${name}: ${argument() || "required"}`);
        return "";
      }
      return value ?? "";
    case ":+":
      return nonEmpty ? argument() : "";
    case "+":
      return set ? argument() : "";
    default:
      return value ?? "";
  }
}

function expand(text: string, env: Env, out: Interpolated): string {
  let result = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const next = text[i + 1];
    if (char !== "$") {
      result += char;
    } else if (next === "$") {
      result += "$";
      i++;
    } else if (next === "{") {
      const end = closingBrace(text, i);
      if (end < 0) {
        out.errors.push(`unclosed "\${" in "${text}"`);
        return result + text.slice(i);
      }
      result += expandBraced(text.slice(i + 2, end), env, out);
      i = end;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (!name) {
        result += "$";
        continue;
      }
      if (!out.names.includes(name)) out.names.push(name);
      result += env[name] ?? "";
      i += name.length;
    }
  }
  return result;
}

export function interpolate(text: string, env: Env): Interpolated {
  const out: Interpolated = { value: "", names: [], errors: [] };
  out.value = expand(text, env, out);
  return out;
}

export interface InterpolatedDocument<T> {
  doc: T;
  names: string[];
  errors: string[];
}

/** Interpolates every string value of a parsed document (keys are left alone, as Compose does). */
export function interpolateDocument<T>(doc: T, env: Env): InterpolatedDocument<T> {
  const names = new Set<string>();
  const errors: string[] = [];
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string") {
      const result = interpolate(node, env);
      result.names.forEach((n) => names.add(n));
      errors.push(...result.errors.map((e) => `${path}: ${e}`));
      return result.value;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${path}[${i}]`));
    if (node && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, path ? `${path}.${k}` : k)]));
    }
    return node;
  };
  return { doc: walk(doc, "") as T, names: [...names], errors };
}
