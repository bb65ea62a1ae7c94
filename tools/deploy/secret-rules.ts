/**
 * What the secret scanner counts as a secret, and what it accepts in its place.
 *
 * A key named like a secret (password, secret, token, api key, private key, access key,
 * credentials) may hold only:
 * - a reference: Compose `${VAR}` (a default, if any, is judged like a literal), GitHub
 *   `${{ secrets.X }}`, a template `{{ .Values.x }}`, Kubernetes `$(VAR)`;
 * - a file reference: a path (`/run/secrets/x`, `./secrets/x`) or a `file:` URL;
 * - an empty value, or a documented placeholder: a value starting with `change-me`
 *   (also spelt `changeme`, `change_me`; any case).
 * Some values are secrets whatever their key: see VALUE_PATTERNS.
 */
import { interpolate } from "./interpolate.js";

/** `apiKey`, `API-KEY`, `api.key` → `api_key`. */
export function normalizeKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().replace(/[^a-z0-9]+/g, "_");
}

// The secret word must end the key: `token_type` or `max_tokens` name no secret, `*_file` names a file.
const SECRET_KEY =
  /(?:^|_)(?:password|passwd|passphrase|secret|token|api_?keys?|private_?key|access_?key(?:_id)?|secret_?key|credentials?)$/;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(normalizeKey(key));
}

/** The value with its references taken out; Compose defaults stay, as Compose would use them without .env. */
function withoutReferences(value: string): string {
  const withoutTemplates = value
    .replace(/\$\{\{[\s\S]*?\}\}/g, "")
    .replace(/\{\{[\s\S]*?\}\}/g, "")
    .replace(/\$\([A-Za-z_][A-Za-z0-9_]*\)/g, "");
  return interpolate(withoutTemplates, {}).value;
}

/** What is left of a value once its references (and an auth scheme word) are taken out: the literal a reader would see. */
export function literalPart(value: string): string {
  return withoutReferences(value).trim().replace(/^(?:bearer|basic|token)\b\s*/i, "");
}

export function isPlaceholder(literal: string): boolean {
  return literal === "" || /^change[-_]?me/i.test(literal);
}

export function isFileReference(literal: string): boolean {
  return /^(?:\/|\.{1,2}\/|~\/|file:)\S*$/.test(literal);
}

/** Why a secret-named key's value is not acceptable, or undefined when it is. */
export function secretValueProblem(value: string): string | undefined {
  const literal = literalPart(value);
  if (isPlaceholder(literal) || isFileReference(literal)) return undefined;
  return literal === value.trim() ? "literal value" : "literal default or text around a reference";
}

export interface ValuePattern {
  name: string;
  pattern: RegExp;
}

/** Values that are credentials wherever they appear, comments included. */
export const VALUE_PATTERNS: readonly ValuePattern[] = [
  { name: "OpenAI-style API key", pattern: /\bsk-(?:[A-Za-z0-9]{20,}|(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,})/ },
  { name: "private key block", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { name: "AWS access key id", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  { name: "JSON Web Token", pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/ },
  { name: "GitHub token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})/ },
  { name: "Guichet API key", pattern: /\bgch_[A-Za-z0-9_-]{40,}/ },
];

export function valuePatternsIn(text: string): string[] {
  return VALUE_PATTERNS.filter(({ pattern }) => pattern.test(text)).map(({ name }) => name);
}

/** A password written inside a URL (`scheme://user:password@host`), unless it is a reference or a placeholder. */
export function hasUrlPassword(value: string): boolean {
  const match = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:([^\s/@]+)@/i.exec(withoutReferences(value));
  return match !== null && !isPlaceholder(match[1]!);
}
