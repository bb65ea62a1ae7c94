/**
 * Renders a kustomization with `kubectl kustomize` into plain objects (deploy/k8s). Nothing here talks to a
 * cluster: the render is offline.
 */
import { spawnSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

export interface K8sMetadata {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: K8sMetadata;
  [field: string]: unknown;
}

export const KUBECTL = process.env.KUBECTL ?? "kubectl";

/** The oldest kustomize that reads this tree (`labels:`, `patches:` with targets, no deprecated field). */
export const MIN_KUSTOMIZE_MAJOR = 5;

export interface KubectlVersion {
  kubectl: string;
  kustomize: string;
}

/** kubectl's and its kustomize's versions, or undefined when kubectl cannot be run. */
export function kubectlVersion(kubectl = KUBECTL): KubectlVersion | undefined {
  const result = spawnSync(kubectl, ["version", "--client", "-o", "json"], { encoding: "utf8" });
  if (result.error || result.status !== 0) return undefined;
  const parsed = JSON.parse(result.stdout) as { clientVersion?: { gitVersion?: string }; kustomizeVersion?: string };
  return { kubectl: parsed.clientVersion?.gitVersion ?? "unknown", kustomize: parsed.kustomizeVersion ?? "unknown" };
}

/** The major version of a kustomize version string such as "v5.5.0" (NaN when unreadable). */
export function kustomizeMajor(version: string): number {
  const match = /^v?(\d+)\./.exec(version);
  return match ? Number(match[1]) : Number.NaN;
}

export interface Rendered {
  objects: K8sObject[];
  /** What kustomize wrote on standard error although it succeeded (deprecation warnings, mostly). */
  warnings: string[];
}

/** Runs `kubectl kustomize dir`; a failed build or an unreadable output throws with what kustomize said. */
export function renderKustomization(dir: string, kubectl = KUBECTL): Rendered {
  const result = spawnSync(kubectl, ["kustomize", dir], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw new Error(`${kubectl} kustomize ${dir}: ${result.error.message}`, { cause: result.error });
  if (result.status !== 0) throw new Error(`${kubectl} kustomize ${dir} exited with ${result.status}: ${result.stderr.trim()}`);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(result.stdout)) {
    if (doc.errors.length > 0) throw new Error(`${kubectl} kustomize ${dir}: unreadable YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  const warnings = result.stderr.split("\n").map((line) => line.trim()).filter(Boolean);
  return { objects, warnings };
}

/** "Kind/name" (with its namespace when it has one): how problems name an object. */
export function objectName(object: Pick<K8sObject, "kind" | "metadata">): string {
  const name = `${object.kind}/${object.metadata?.name ?? "?"}`;
  return object.metadata?.namespace ? `${object.metadata.namespace}/${name}` : name;
}
