/**
 * The PrometheusRule of deploy/k8s is generated from the rules Prometheus itself loads
 * (deploy/observability/prometheus/rules/guichet.rules.yml), so that the two cannot say different things:
 * `npx tsx tools/deploy/k8s-write-rules.ts` writes it, `--check` fails when the committed one has drifted.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";

export const RULES_FILE = "deploy/observability/prometheus/rules/guichet.rules.yml";
export const MANIFEST_FILE = "deploy/k8s/base/prometheusrule.yaml";

const HEADER = [
  `# Generated from ${RULES_FILE}: edit that file, not this one,`,
  "# then run `npx tsx tools/deploy/k8s-write-rules.ts` (test/deploy-k8s.test.ts fails when the two differ).",
].join("\n");

export interface RuleGroup {
  name: string;
  rules: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

/** The groups of a Prometheus rules file; throws when it has none. */
export function ruleGroups(rulesYaml: string): RuleGroup[] {
  const parsed = parse(rulesYaml) as { groups?: unknown } | null;
  if (!parsed || !Array.isArray(parsed.groups) || parsed.groups.length === 0) throw new Error("rules file: no groups");
  return parsed.groups as RuleGroup[];
}

/** The PrometheusRule manifest (text) that carries the groups of a rules file. */
export function prometheusRuleManifest(rulesYaml: string): string {
  const manifest = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: "guichet",
      labels: { "app.kubernetes.io/name": "guichet", "app.kubernetes.io/instance": "guichet" },
    },
    spec: { groups: ruleGroups(rulesYaml) },
  };
  // Literal blocks only: kustomize's YAML reader takes a folded block with more-indented lines (an expr's
  // "(\n  sum …\n)") for a different string than the one written.
  return `${HEADER}\n${stringify(manifest, { lineWidth: 100, blockQuote: "literal" })}`;
}

/** A rule's name in messages: its alert or record name. */
function ruleName(rule: Record<string, unknown> | undefined): string {
  return String(rule?.alert ?? rule?.record ?? "?");
}

/** JSON with sorted keys: equal values, whatever their key order or the realm their objects were made in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** A group's fields other than its rules (interval, limit, labels, …). */
const settingsOf = (group: RuleGroup) => Object.fromEntries(Object.entries(group).filter(([key]) => key !== "rules"));

/** How the groups of a PrometheusRule differ from the rules file's, one line per group or rule; empty when equal. */
export function ruleDrift(expected: RuleGroup[], actual: RuleGroup[] | undefined): string[] {
  if (!Array.isArray(actual)) return ["PrometheusRule: spec.groups missing"];
  const problems: string[] = [];
  const names = (groups: RuleGroup[]) => groups.map((g) => g.name).join(", ");
  if (names(expected) !== names(actual)) problems.push(`PrometheusRule groups [${names(actual)}], rules file [${names(expected)}]`);
  for (const group of expected) {
    const other = actual.find((g) => g.name === group.name);
    if (!other) continue;
    const count = Math.max(group.rules.length, other.rules?.length ?? 0);
    for (let i = 0; i < count; i++) {
      const want = group.rules[i];
      const got = other.rules?.[i];
      if (!same(want, got)) {
        problems.push(`PrometheusRule group ${group.name}: rule ${i + 1} (${ruleName(want)}) differs from the rules file (got ${ruleName(got)})`);
      }
    }
    if (!same(settingsOf(group), settingsOf(other))) problems.push(`PrometheusRule group ${group.name}: group settings differ from the rules file`);
  }
  return problems;
}

/**
 * Writes the manifest under `root`, or with `check` only compares it: "unchanged" when the committed file is the
 * one the rules file gives, "written" when it was rewritten, "differs" when a check found it stale.
 */
export function writePrometheusRule(root: string, options: { check?: boolean } = {}): "unchanged" | "written" | "differs" {
  const wanted = prometheusRuleManifest(readFileSync(join(root, RULES_FILE), "utf8"));
  const path = join(root, MANIFEST_FILE);
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === wanted) return "unchanged";
  if (options.check) return "differs";
  writeFileSync(path, wanted);
  return "written";
}
