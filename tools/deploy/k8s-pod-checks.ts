/**
 * Policy checks on the pods of rendered manifests: security context, probes, resources, image references, the
 * writable directories and where secret values come from. Each problem names the object, the container and
 * the field.
 */
import { objectName, type K8sObject } from "./k8s-render.js";
import { quantity } from "./k8s-quantity.js";

export const RUN_AS = 10001;
export const WRITABLE_PATHS = ["/tmp", "/var/lib/guichet"];
/** Variables whose value is a credential: only ever from a Secret. */
export const SECRET_ENV = /^(DATABASE_URL|.*_API_KEYS?|.*TOKEN|.*SECRET|.*PASSWORD)$/;

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}

interface Probe {
  httpGet?: { path?: string; port?: string | number };
}

export interface Container {
  name: string;
  image?: string;
  ports?: Array<{ name?: string; containerPort?: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }>;
  envFrom?: Array<{ configMapRef?: { name?: string }; secretRef?: { name?: string } }>;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext & { fsGroup?: number };
  volumes?: Array<{ name: string; emptyDir?: Record<string, unknown> }>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
}

interface Spec {
  template?: { spec?: PodSpec };
  jobTemplate?: { spec?: { template?: { spec?: PodSpec } } };
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

/** The pod spec an object runs, if it runs pods. */
export function podSpecOf(object: K8sObject): PodSpec | undefined {
  const spec = object.spec as Spec | undefined;
  if (WORKLOADS.has(object.kind)) return spec?.template?.spec;
  if (object.kind === "CronJob") return spec?.jobTemplate?.spec?.template?.spec;
  if (object.kind === "Pod") return object.spec as PodSpec | undefined;
  return undefined;
}

/** What is wrong with an image reference: no tag nor digest, or the moving tag latest. */
export function imageProblem(image: string | undefined): string | undefined {
  if (!image) return "has no image";
  if (image.includes("@sha256:")) return undefined;
  const lastPart = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastPart.includes(":") ? lastPart.slice(lastPart.indexOf(":") + 1) : undefined;
  if (!tag) return `image ${image} has no tag nor digest (it would pull latest)`;
  if (tag === "latest") return `image ${image} uses the tag latest`;
  return undefined;
}

function securityProblems(pod: PodSpec, container: Container): string[] {
  const podContext = pod.securityContext ?? {};
  const own = container.securityContext ?? {};
  const effective = { ...podContext, ...own };
  const problems: string[] = [];
  if (effective.runAsNonRoot !== true) problems.push("runAsNonRoot is not true");
  if (effective.runAsUser !== RUN_AS) problems.push(`runAsUser is ${effective.runAsUser ?? "unset"}, not ${RUN_AS}`);
  if (effective.runAsGroup !== RUN_AS) problems.push(`runAsGroup is ${effective.runAsGroup ?? "unset"}, not ${RUN_AS}`);
  if (effective.seccompProfile?.type !== "RuntimeDefault") problems.push("seccompProfile is not RuntimeDefault");
  if (own.readOnlyRootFilesystem !== true) problems.push("readOnlyRootFilesystem is not true");
  if (own.allowPrivilegeEscalation !== false) problems.push("allowPrivilegeEscalation is not false");
  if (own.privileged === true) problems.push("privileged is true");
  if (!own.capabilities?.drop?.includes("ALL")) problems.push("capabilities do not drop ALL");
  if ((own.capabilities?.add ?? []).length > 0) problems.push(`capabilities add ${own.capabilities!.add!.join(", ")}`);
  return problems.map((p) => `securityContext: ${p}`);
}

function podLevelProblems(pod: PodSpec): string[] {
  const problems: string[] = [];
  const context = pod.securityContext ?? {};
  if (context.runAsNonRoot !== true) problems.push("pod securityContext: runAsNonRoot is not true");
  if (context.seccompProfile?.type !== "RuntimeDefault") problems.push("pod securityContext: seccompProfile is not RuntimeDefault");
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) if (pod[field]) problems.push(`${field} is true`);
  return problems;
}

function probeProblems(container: Container): string[] {
  const problems: string[] = [];
  const ports = new Set<string | number>((container.ports ?? []).flatMap((p) => [p.name, p.containerPort].filter((v) => v !== undefined) as Array<string | number>));
  const expect = (kind: "livenessProbe" | "readinessProbe" | "startupProbe", path: string) => {
    const probe = container[kind];
    if (!probe) return problems.push(`${kind} missing`);
    if (probe.httpGet?.path !== path) return problems.push(`${kind} checks ${probe.httpGet?.path ?? "no HTTP path"}, not ${path}`);
    if (probe.httpGet.port === undefined || !ports.has(probe.httpGet.port)) problems.push(`${kind} port ${probe.httpGet.port ?? "unset"} is not a port of the container`);
    return undefined;
  };
  expect("livenessProbe", "/health");
  expect("readinessProbe", "/ready");
  expect("startupProbe", "/health");
  return problems;
}

function resourceProblems(container: Container, oldSpaceMiB: number | undefined): string[] {
  const problems: string[] = [];
  for (const resource of ["cpu", "memory"]) {
    const request = quantity(container.resources?.requests?.[resource]);
    const limit = quantity(container.resources?.limits?.[resource]);
    if (Number.isNaN(request)) problems.push(`resources.requests.${resource} missing or unreadable`);
    if (Number.isNaN(limit)) problems.push(`resources.limits.${resource} missing or unreadable`);
    if (request > limit) problems.push(`resources.requests.${resource} is above its limit`);
  }
  const memoryLimit = quantity(container.resources?.limits?.memory);
  if (oldSpaceMiB !== undefined && memoryLimit <= oldSpaceMiB * 2 ** 20) {
    problems.push(`resources.limits.memory ${container.resources?.limits?.memory} is not above the ${oldSpaceMiB} MiB old-space cap (NODE_OPTIONS)`);
  }
  return problems;
}

function volumeProblems(pod: PodSpec, container: Container): string[] {
  const problems: string[] = [];
  for (const path of WRITABLE_PATHS) {
    const mount = container.volumeMounts?.find((m) => m.mountPath === path);
    const volume = mount && pod.volumes?.find((v) => v.name === mount.name);
    if (!mount) problems.push(`nothing mounted at ${path} (the root filesystem is read-only)`);
    else if (!volume?.emptyDir) problems.push(`${path} is not an emptyDir volume`);
  }
  return problems;
}

function envProblems(container: Container): string[] {
  return (container.env ?? [])
    .filter((e) => SECRET_ENV.test(e.name) && !e.valueFrom?.secretKeyRef)
    .map((e) => `env ${e.name} is not taken from a Secret (secretKeyRef)`);
}

/** The --max-old-space-size the container's NODE_OPTIONS set, from its env or the ConfigMaps it loads. */
export function oldSpaceCap(container: Container, objects: K8sObject[]): number | undefined {
  const fromEnv = container.env?.find((e) => e.name === "NODE_OPTIONS")?.value;
  const fromMaps = (container.envFrom ?? [])
    .map((source) => objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === source.configMapRef?.name))
    .map((map) => (map?.data as Record<string, string> | undefined)?.NODE_OPTIONS)
    .find((value) => value !== undefined);
  const match = /--max-old-space-size=(\d+)/.exec(fromEnv ?? fromMaps ?? "");
  return match ? Number(match[1]) : undefined;
}

/** Every problem of every pod template among the objects. */
export function podProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    const where = objectName(object);
    problems.push(...podLevelProblems(pod).map((p) => `${where}: ${p}`));
    if (!pod.containers?.length) problems.push(`${where}: no containers`);
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const image = imageProblem(container.image);
      const found = [
        ...(image ? [image] : []),
        ...securityProblems(pod, container),
        ...resourceProblems(container, oldSpaceCap(container, objects)),
        ...envProblems(container),
      ];
      if (pod.containers?.includes(container)) found.push(...probeProblems(container), ...volumeProblems(pod, container));
      problems.push(...found.map((p) => `${where} container ${container.name}: ${p}`));
    }
  }
  return problems;
}
