/**
 * The checks CI runs on the rendered Kubernetes manifests (test/deploy-k8s.test.ts): policy problems of one
 * environment, and what must differ between staging and production.
 */
import { objectProblems } from "./k8s-object-checks.js";
import { podProblems } from "./k8s-pod-checks.js";
import type { K8sObject } from "./k8s-render.js";

export { objectProblems } from "./k8s-object-checks.js";
export { podProblems } from "./k8s-pod-checks.js";

/** Every policy problem of one environment's rendered objects. */
export function policyProblems(objects: K8sObject[], environment?: string): string[] {
  return [...podProblems(objects), ...objectProblems(objects, environment)];
}

export interface OverlayShape {
  namespace?: string;
  replicas?: number;
  hpa: { min?: number; max?: number };
  pdbMinAvailable?: unknown;
  hosts: string[];
}

/** What of one environment the comparison looks at. */
export function overlayShape(objects: K8sObject[]): OverlayShape {
  const find = (kind: string) => objects.find((o) => o.kind === kind);
  const spec = (kind: string) => (find(kind)?.spec ?? {}) as Record<string, unknown>;
  const hpa = spec("HorizontalPodAutoscaler") as { minReplicas?: number; maxReplicas?: number };
  const rules = (spec("Ingress").rules as Array<{ host?: string }> | undefined) ?? [];
  return {
    namespace: find("Namespace")?.metadata.name,
    replicas: spec("Deployment").replicas as number | undefined,
    hpa: { min: hpa.minReplicas, max: hpa.maxReplicas },
    pdbMinAvailable: spec("PodDisruptionBudget").minAvailable,
    hosts: rules.map((r) => r.host ?? ""),
  };
}

/** What is wrong with staging and production side by side: the sizes and their differences. */
export function overlayProblems(staging: K8sObject[], production: K8sObject[]): string[] {
  const s = overlayShape(staging);
  const p = overlayShape(production);
  const problems: string[] = [];
  if (!s.namespace || s.namespace === p.namespace) problems.push(`staging and production share the namespace ${s.namespace}`);
  const namespaces = (objects: K8sObject[]) => new Set(objects.map((o) => o.metadata.namespace ?? o.metadata.name));
  const shared = [...namespaces(staging)].filter((n) => namespaces(production).has(n));
  if (shared.length > 0) problems.push(`objects of both environments in namespace ${shared.join(", ")}`);
  if (s.replicas === p.replicas) problems.push(`staging and production have the same replicas (${s.replicas})`);
  if (typeof s.replicas !== "number" || s.replicas < 1 || s.replicas > 2) problems.push(`staging replicas ${s.replicas}, not 1 or 2`);
  if (typeof p.replicas !== "number" || p.replicas < 3) problems.push(`production replicas ${p.replicas}, fewer than 3`);
  if (!(typeof s.hpa.max === "number" && typeof p.hpa.max === "number" && s.hpa.max < p.hpa.max)) {
    problems.push(`staging's HPA bounds (max ${s.hpa.max}) are not smaller than production's (max ${p.hpa.max})`);
  }
  if (typeof p.pdbMinAvailable !== "number" || p.pdbMinAvailable < 2) problems.push(`production PodDisruptionBudget minAvailable ${p.pdbMinAvailable}, not at least 2`);
  if (s.hosts.some((h) => p.hosts.includes(h))) problems.push(`staging and production share an Ingress host (${s.hosts.join(", ")})`);
  return problems;
}
