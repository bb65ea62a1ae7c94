/**
 * Finds secrets written into YAML and dotenv files (rules in secret-rules.ts). A finding names the
 * file, the line, the rule and the key, never the value: the report must not spread the secret.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type Pair } from "yaml";
import { parseEnvFile } from "./env-file.js";
import { hasUrlPassword, isSecretKey, secretValueProblem, valuePatternsIn } from "./secret-rules.js";

export interface Finding {
  file: string;
  line: number;
  rule: string;
  key?: string;
}

export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}: ${finding.rule}${finding.key ? ` (key ${finding.key})` : ""}`;
}

/** How a value must be read: as written, or base64-decoded (a Kubernetes Secret's `data`). */
type Encoding = "plain" | "base64";

interface Context {
  file: string;
  lines: LineCounter;
  findings: Finding[];
}

function lineOf(node: Node, ctx: Context): number {
  return ctx.lines.linePos(node.range?.[0] ?? 0).line;
}

function checkValue(key: string, value: string, line: number, ctx: Context, forced?: Encoding): void {
  const report = (rule: string) => ctx.findings.push({ file: ctx.file, line, rule, key });
  if (forced || isSecretKey(key)) {
    const plain = forced === "base64" ? Buffer.from(value, "base64").toString("utf8") : value;
    const problem = secretValueProblem(plain);
    if (problem) report(`secret-named key holds a ${problem}`);
  }
  if (hasUrlPassword(value)) report("password written inside a URL");
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const { value } = node;
  return typeof value === "string" || typeof value === "number" || typeof value === "bigint" ? String(value) : undefined;
}

function walkPairs(pairs: Pair[], parentKey: string | undefined, ctx: Context, forced?: Encoding): void {
  for (const pair of pairs) {
    const key = scalarText(pair.key) ?? "";
    const text = scalarText(pair.value);
    // GitHub Actions' `permissions: { id-token: write }` names scopes, not tokens.
    if (text !== undefined && parentKey !== "permissions") checkValue(key, text, lineOf(pair.value as Node, ctx), ctx, forced);
    else walk(pair.value, key, ctx);
  }
}

function walk(node: unknown, parentKey: string | undefined, ctx: Context, forced?: Encoding): void {
  if (isMap(node)) {
    // Kubernetes env entries: `- name: X_PASSWORD` with `value: ...`.
    const envName = scalarText(node.get("name", true));
    const envValue = node.get("value", true);
    const envText = scalarText(envValue);
    if (envName && envText !== undefined) checkValue(envName, envText, lineOf(envValue as Node, ctx), ctx);
    walkPairs(node.items as Pair[], parentKey, ctx, forced);
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const text = scalarText(item);
      // Compose's list form of environment: `- KEY=value`.
      const entry = /^([A-Za-z_][A-Za-z0-9_.-]*)=([\s\S]*)$/.exec(text ?? "");
      if (entry) checkValue(entry[1]!, entry[2]!, lineOf(item as Node, ctx), ctx);
      else if (text !== undefined) checkValue("", text, lineOf(item as Node, ctx), ctx);
      else walk(item, parentKey, ctx);
    }
  }
}

function scanLines(text: string, file: string): Finding[] {
  return text.split(/\r?\n/).flatMap((line, index) =>
    valuePatternsIn(line).map((name) => ({ file, line: index + 1, rule: `looks like a ${name}` })),
  );
}

/** Every document of a YAML file: secret-named keys, Kubernetes Secrets, URL passwords, credential-shaped text. */
export function scanYaml(text: string, file: string): Finding[] {
  const ctx: Context = { file, lines: new LineCounter(), findings: [] };
  for (const doc of parseAllDocuments(text, { lineCounter: ctx.lines })) {
    if (doc.errors.length > 0) {
      const error = doc.errors[0]!;
      ctx.findings.push({ file, line: error.linePos?.[0].line ?? 1, rule: `cannot be parsed as YAML, so it cannot be checked (${error.code})` });
      continue;
    }
    const root = doc.contents;
    if (isMap(root) && scalarText(root.get("kind", true)) === "Secret") {
      // Every value of a Secret is secret, whatever its key.
      for (const pair of root.items as Pair[]) {
        const key = scalarText(pair.key);
        if (key === "data" || key === "stringData") walk(pair.value, key, ctx, key === "data" ? "base64" : "plain");
        else walkPairs([pair], undefined, ctx);
      }
    } else {
      walk(root, undefined, ctx);
    }
  }
  return unique([...ctx.findings, ...scanLines(text, file)]);
}

function unique(findings: Finding[]): Finding[] {
  return [...new Map(findings.map((f) => [formatFinding(f), f])).values()];
}

/** A dotenv file such as .env.example: its secret-named variables, URL passwords, credential-shaped text. */
export function scanEnvFile(text: string, file: string): Finding[] {
  const ctx: Context = { file, lines: new LineCounter(), findings: [] };
  const parsed = parseEnvFile(text);
  for (const entry of parsed.entries) checkValue(entry.name, entry.value, entry.line, ctx);
  const malformed = parsed.errors.map((error) => ({ file, line: Number(/line (\d+)/.exec(error)?.[1] ?? 1), rule: error }));
  return unique([...malformed, ...ctx.findings, ...scanLines(text, file)]);
}
