/**
 * Policy checks across the rendered objects of one environment: what must be there (HPA, PDB, NetworkPolicy,
 * Ingress with TLS, monitoring), what must not (a Secret with its values, a credential in a ConfigMap), and
 * that labels, selectors and names agree with each other.
 */
import { objectName, type K8sObject } from "./k8s-render.js";
import { SECRET_ENV, podSpecOf } from "./k8s-pod-checks.js";

type Labels = Record<string, string>;
type Spec = Record<string, unknown>;

export const APP_LABELS: Labels = { "app.kubernetes.io/name": "guichet", "app.kubernetes.io/part-of": "guichet" };
export const REQUIRED_KINDS = [
  "Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler",
  "PodDisruptionBudget", "NetworkPolicy", "Ingress", "ServiceMonitor", "PrometheusRule",
];
/** The job name the alert rules of deploy/observability select (`up{job="guichet"}`). */
export const SCRAPE_JOB = "guichet";
export const INGRESS_NAMESPACE = "ingress-nginx";
/** Where a Guichet pod must be able to connect. */
export const EGRESS_PORTS: Array<{ port: number; protocol: string; what: string }> = [
  { port: 53, protocol: "UDP", what: "DNS" },
  { port: 443, protocol: "TCP", what: "the LLM endpoint over HTTPS" },
  { port: 5432, protocol: "TCP", what: "PostgreSQL" },
  { port: 6379, protocol: "TCP", what: "Redis" },
  { port: 4318, protocol: "TCP", what: "the OTLP collector" },
];

const spec = (o: K8sObject | undefined) => (o?.spec ?? {}) as Spec;
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const labelsOf = (o: K8sObject) => o.metadata.labels ?? {};
/** Whether every label of `selector` is on `labels` (an empty selector selects nothing here, on purpose). */
const selects = (selector: Labels | undefined, labels: Labels) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const matchLabels = (selector: unknown) => (selector as { matchLabels?: Labels } | undefined)?.matchLabels;
const templateLabels = (deployment: K8sObject) =>
  ((spec(deployment).template as { metadata?: { labels?: Labels } } | undefined)?.metadata?.labels ?? {}) as Labels;

function presence(objects: K8sObject[]): string[] {
  return REQUIRED_KINDS.filter((kind) => ofKind(objects, kind).length === 0).map((kind) => `no ${kind} among the objects`);
}

function secretProblems(objects: K8sObject[]): string[] {
  const problems = ofKind(objects, "Secret").map((secret) => {
    const keys = [...Object.keys((secret.data as object) ?? {}), ...Object.keys((secret.stringData as object) ?? {})];
    return keys.length > 0
      ? `${objectName(secret)}: a Secret with data/stringData (${keys.join(", ")}) in the repository: create it out of band`
      : `${objectName(secret)}: a Secret object in the repository: create it out of band, reference it only`;
  });
  for (const map of ofKind(objects, "ConfigMap")) {
    for (const [key, value] of Object.entries((map.data as Record<string, string>) ?? {})) {
      if (SECRET_ENV.test(key)) problems.push(`${objectName(map)}: ${key} is a credential: it belongs in the Secret`);
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(value)) problems.push(`${objectName(map)}: ${key} holds a URL with a password`);
    }
  }
  return problems;
}

function labelProblems(objects: K8sObject[], environment: string | undefined): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    for (const [key, value] of Object.entries(APP_LABELS)) {
      if (labelsOf(object)[key] !== value) problems.push(`${objectName(object)}: label ${key} is ${labelsOf(object)[key] ?? "missing"}, not ${value}`);
    }
    if (environment && labelsOf(object).environment !== environment) {
      problems.push(`${objectName(object)}: label environment is ${labelsOf(object).environment ?? "missing"}, not ${environment}`);
    }
  }
  const namespace = ofKind(objects, "Namespace")[0]?.metadata.name;
  for (const object of objects.filter((o) => o.kind !== "Namespace")) {
    if (!object.metadata.namespace) problems.push(`${objectName(object)}: no namespace`);
    else if (namespace && object.metadata.namespace !== namespace) problems.push(`${objectName(object)}: namespace ${object.metadata.namespace}, not ${namespace}`);
  }
  return problems;
}

function selectorProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const deployments = ofKind(objects, "Deployment");
  const podLabels = deployments.map(templateLabels);
  const selectsPods = (selector: Labels | undefined) => podLabels.some((labels) => selects(selector, labels));
  for (const deployment of deployments) {
    if (!selects(matchLabels(spec(deployment).selector), templateLabels(deployment))) problems.push(`${objectName(deployment)}: selector does not match its pod labels`);
    const constraints = (podSpecOf(deployment) as { topologySpreadConstraints?: Array<{ topologyKey?: string; labelSelector?: unknown }> } | undefined)?.topologySpreadConstraints ?? [];
    if (constraints.length === 0) problems.push(`${objectName(deployment)}: no topologySpreadConstraints`);
    for (const c of constraints) {
      if (!selects(matchLabels(c.labelSelector), templateLabels(deployment))) problems.push(`${objectName(deployment)}: topology spread over ${c.topologyKey} does not select its own pods`);
    }
  }
  for (const service of ofKind(objects, "Service")) {
    if (!selectsPods(spec(service).selector as Labels | undefined)) problems.push(`${objectName(service)}: selector matches no Deployment's pods`);
  }
  for (const pdb of ofKind(objects, "PodDisruptionBudget")) {
    if (!selectsPods(matchLabels(spec(pdb).selector))) problems.push(`${objectName(pdb)}: selector matches no Deployment's pods`);
  }
  for (const policy of ofKind(objects, "NetworkPolicy")) {
    if (!selectsPods(matchLabels(spec(policy).podSelector))) problems.push(`${objectName(policy)}: podSelector matches no Deployment's pods`);
  }
  return problems;
}

function replicasOf(objects: K8sObject[]): number | undefined {
  const replicas = spec(ofKind(objects, "Deployment")[0]).replicas;
  return typeof replicas === "number" ? replicas : undefined;
}

function autoscalingProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const deployment = ofKind(objects, "Deployment")[0];
  const replicas = spec(deployment).replicas;
  if (deployment && (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 1)) {
    problems.push(`${objectName(deployment)}: replicas ${JSON.stringify(replicas)} is not a whole number of at least 1`);
  }
  for (const hpa of ofKind(objects, "HorizontalPodAutoscaler")) {
    const where = objectName(hpa);
    const s = spec(hpa) as { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number; metrics?: Array<{ type?: string; resource?: { name?: string }; pods?: { metric?: { name?: string } } }> };
    if (hpa.apiVersion !== "autoscaling/v2") problems.push(`${where}: apiVersion ${hpa.apiVersion}, not autoscaling/v2`);
    if (s.scaleTargetRef?.kind !== "Deployment" || !objects.some((o) => o.kind === "Deployment" && o.metadata.name === s.scaleTargetRef?.name)) {
      problems.push(`${where}: scaleTargetRef names no Deployment of the manifests`);
    }
    const metrics = s.metrics ?? [];
    if (!metrics.some((m) => m.type === "Resource" && m.resource?.name === "cpu")) problems.push(`${where}: no CPU (Resource cpu) metric`);
    if (!metrics.some((m) => m.type === "Pods" && m.pods?.metric?.name)) problems.push(`${where}: no Pods metric (request rate)`);
    const min = s.minReplicas ?? 1;
    const max = s.maxReplicas ?? 0;
    if (min > max) problems.push(`${where}: minReplicas ${min} is above maxReplicas ${max}`);
    if (typeof replicas === "number" && (replicas < min || replicas > max)) problems.push(`${where}: the Deployment's ${replicas} replicas are outside [${min}, ${max}]`);
  }
  const replicasNow = replicasOf(objects);
  for (const pdb of ofKind(objects, "PodDisruptionBudget")) {
    const { minAvailable, maxUnavailable } = spec(pdb) as { minAvailable?: unknown; maxUnavailable?: unknown };
    if (minAvailable === undefined && maxUnavailable === undefined) problems.push(`${objectName(pdb)}: neither minAvailable nor maxUnavailable`);
    if (typeof minAvailable === "number" && replicasNow !== undefined && minAvailable >= replicasNow) {
      problems.push(`${objectName(pdb)}: minAvailable ${minAvailable} with ${replicasNow} replicas lets no pod be evicted (drains would block)`);
    }
    if (maxUnavailable === 0) problems.push(`${objectName(pdb)}: maxUnavailable 0 lets no pod be evicted (drains would block)`);
  }
  return problems;
}

interface PolicyPeer {
  namespaceSelector?: { matchLabels?: Labels };
  podSelector?: unknown;
  ipBlock?: { cidr?: string };
}
interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: Array<{ port?: number | string; protocol?: string }>;
}

function networkProblems(objects: K8sObject[]): string[] {
  const policies = ofKind(objects, "NetworkPolicy");
  if (policies.length === 0) return [];
  const problems: string[] = [];
  const types = new Set(policies.flatMap((p) => (spec(p).policyTypes as string[] | undefined) ?? []));
  for (const type of ["Ingress", "Egress"]) if (!types.has(type)) problems.push(`NetworkPolicy: no policy restricts ${type}`);
  const ingress = policies.flatMap((p) => ((spec(p).ingress as PolicyRule[] | undefined) ?? []).map((rule) => ({ policy: p, rule })));
  for (const { policy, rule } of ingress) {
    const open = !rule.from?.length || rule.from.some((peer) => peer.ipBlock?.cidr === "0.0.0.0/0");
    if (open) problems.push(`${objectName(policy)}: an ingress rule accepts connections from anywhere`);
  }
  const fromController = ingress.some(({ rule }) => rule.from?.some((peer) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === INGRESS_NAMESPACE));
  if (!fromController) problems.push(`NetworkPolicy: no ingress rule admits the ingress controller's namespace ${INGRESS_NAMESPACE}`);
  const egress = policies.flatMap((p) => ((spec(p).egress as PolicyRule[] | undefined) ?? []).map((rule) => ({ policy: p, rule })));
  for (const { policy, rule } of egress) if (!rule.ports?.length) problems.push(`${objectName(policy)}: an egress rule allows every port`);
  for (const wanted of EGRESS_PORTS) {
    const allowed = egress.some(({ rule }) => rule.ports?.some((p) => p.port === wanted.port && (p.protocol ?? "TCP") === wanted.protocol));
    if (!allowed) problems.push(`NetworkPolicy: no egress rule allows ${wanted.port}/${wanted.protocol} (${wanted.what})`);
  }
  return problems;
}

interface IngressSpec {
  tls?: Array<{ hosts?: string[]; secretName?: string }>;
  rules?: Array<{ host?: string; http?: { paths?: Array<{ backend?: { service?: { name?: string; port?: { name?: string; number?: number } } } }> } }>;
}

function servicePorts(service: K8sObject | undefined): Array<{ name?: string; port?: number; targetPort?: string | number }> {
  return (spec(service).ports as Array<{ name?: string; port?: number }> | undefined) ?? [];
}

function ingressProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const ingress of ofKind(objects, "Ingress")) {
    const where = objectName(ingress);
    const s = spec(ingress) as IngressSpec;
    const tlsHosts = new Set((s.tls ?? []).flatMap((t) => t.hosts ?? []));
    if (!s.tls?.length) problems.push(`${where}: no tls`);
    for (const rule of s.rules ?? []) {
      if (!rule.host) problems.push(`${where}: a rule without host`);
      else if (!tlsHosts.has(rule.host)) problems.push(`${where}: host ${rule.host} is not covered by tls`);
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        const service = objects.find((o) => o.kind === "Service" && o.metadata.name === backend?.name);
        const port = servicePorts(service).find((p) => p.name === backend?.port?.name || p.port === backend?.port?.number);
        if (!service || !port) problems.push(`${where}: backend ${backend?.name}:${backend?.port?.name ?? backend?.port?.number} is no port of a Service`);
      }
    }
    const annotations = ingress.metadata.annotations ?? {};
    if (annotations["nginx.ingress.kubernetes.io/proxy-buffering"] !== "off") problems.push(`${where}: proxy buffering is not off (Server-Sent Events of /stream)`);
    const readTimeout = Number(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]);
    if (!(readTimeout > 15)) problems.push(`${where}: proxy-read-timeout unset or not above the 15 s request deadline`);
  }
  return problems;
}

function monitoringProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const monitor of ofKind(objects, "ServiceMonitor")) {
    const where = objectName(monitor);
    const s = spec(monitor) as { jobLabel?: string; selector?: unknown; endpoints?: Array<{ port?: string; path?: string }> };
    const service = ofKind(objects, "Service").find((svc) => selects(matchLabels(s.selector), labelsOf(svc)));
    if (!service) {
      problems.push(`${where}: selector matches no Service`);
      continue;
    }
    const job = s.jobLabel ? labelsOf(service)[s.jobLabel] : service.metadata.name;
    if (job !== SCRAPE_JOB) problems.push(`${where}: the scrape job would be ${job ?? "unnamed"}, the alert rules select job="${SCRAPE_JOB}"`);
    for (const endpoint of s.endpoints ?? []) {
      if (!servicePorts(service).some((p) => p.name === endpoint.port)) problems.push(`${where}: endpoint port ${endpoint.port} is not a port of ${objectName(service)}`);
      if (endpoint.path !== "/metrics") problems.push(`${where}: endpoint path ${endpoint.path ?? "unset"}, not /metrics`);
    }
  }
  return problems;
}

/** Every cross-object problem of one environment's objects; `environment` is the value its label must have. */
export function objectProblems(objects: K8sObject[], environment?: string): string[] {
  return [
    ...presence(objects),
    ...secretProblems(objects),
    ...labelProblems(objects, environment),
    ...selectorProblems(objects),
    ...autoscalingProblems(objects),
    ...networkProblems(objects),
    ...ingressProblems(objects),
    ...monitoringProblems(objects),
  ];
}
