/**
 * The local stack's rules that the Compose schema cannot express: health checks, the app's
 * replicas and hardening, who may publish ports, declared volumes and networks, pinned images,
 * and secrets taken from .env. Each check returns problems that name the service and the rule.
 */
import { isSecretKey, literalPart } from "./secret-rules.js";
import { asList, environmentOf, networksOf, type ComposeFile, type Service } from "./compose-types.js";

export interface StackPolicy {
  /** Services the stack must have. */
  services: string[];
  app: { name: string; replicas: number; user: string; stateDir: string };
  /** The one service that may publish a port on any address. */
  proxy: string;
  /** Services that may publish ports, on 127.0.0.1 only. */
  uis: string[];
  /** Container paths that must be named volumes, by service. */
  stateVolumes: Record<string, string>;
  /** Services that must sit on internal networks only. */
  internalOnly: string[];
  /** Pairs of services that talk to each other, hence share a network. */
  reachable: [string, string][];
}

interface Mount {
  kind: "bind" | "volume" | "anonymous" | "tmpfs";
  source?: string;
  target: string;
}

export function mountsOf(service: Service): Mount[] {
  const volumes = (service.volumes ?? []).map((volume): Mount => {
    if (typeof volume !== "string") {
      const kind = volume.type === "bind" || volume.type === "tmpfs" ? volume.type : volume.source ? "volume" : "anonymous";
      return { kind, ...(volume.source ? { source: volume.source } : {}), target: volume.target ?? "" };
    }
    const [source, target] = volume.split(":");
    if (target === undefined) return { kind: "anonymous", target: source! };
    return { kind: /^(?:\.|\/|~)/.test(source!) ? "bind" : "volume", source: source!, target };
  });
  const tmpfs = asList(service.tmpfs).map((entry): Mount => ({ kind: "tmpfs", target: entry.split(":")[0]! }));
  return [...volumes, ...tmpfs];
}

interface Published {
  hostIp: string | undefined;
  published: string | undefined;
  target: string;
}

/** A port entry in short (`[ip:][published:]target[/proto]`) or long syntax. */
export function parsePort(port: string | number | { target?: number; published?: number | string; host_ip?: string }): Published {
  if (typeof port === "object") {
    return { hostIp: port.host_ip, published: port.published === undefined ? undefined : String(port.published), target: String(port.target) };
  }
  let rest = String(port).replace(/\/\w+$/, "");
  let hostIp: string | undefined;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (bracketed) {
    hostIp = bracketed[1];
    rest = bracketed[2]!;
  }
  const parts = rest.split(":");
  if (!hostIp && parts.length === 3) hostIp = parts.shift();
  const target = parts.pop()!;
  return { hostIp, published: parts[0], target };
}

const LOOPBACK = new Set(["127.0.0.1", "::1"]);

export function checkServicesPresent(doc: ComposeFile, policy: StackPolicy): string[] {
  return policy.services.filter((name) => !doc.services?.[name]).map((name) => `service ${name} is missing`);
}

export function checkHealthchecks(doc: ComposeFile): string[] {
  return Object.entries(doc.services ?? {}).flatMap(([name, service]) => {
    const check = service.healthcheck;
    const test = asList(check?.test);
    if (!check || check.disable === true || test.length === 0 || test[0] === "NONE") return [`services.${name} has no healthcheck`];
    return [];
  });
}

export function checkApp(doc: ComposeFile, policy: StackPolicy): string[] {
  const { name, replicas, user, stateDir } = policy.app;
  const app = doc.services?.[name];
  if (!app) return [];
  const at = `services.${name}`;
  const problems: string[] = [];
  if (app.deploy?.replicas !== replicas) problems.push(`${at}.deploy.replicas must be ${replicas}`);
  if (app.container_name !== undefined) problems.push(`${at}.container_name must not be set: replicas need names of their own`);
  if (app.read_only !== true) problems.push(`${at}.read_only must be true (read-only root file system)`);
  const mounts = mountsOf(app);
  if (!mounts.some((m) => m.kind === "tmpfs" && m.target === "/tmp")) problems.push(`${at}.tmpfs must include /tmp`);
  if (!mounts.some((m) => m.kind === "volume" && m.target === stateDir)) problems.push(`${at} must mount a named volume at ${stateDir}`);
  if (!(app.cap_drop ?? []).some((cap) => cap.toUpperCase() === "ALL")) problems.push(`${at}.cap_drop must include ALL`);
  if (!(app.security_opt ?? []).some((opt) => /^no-new-privileges(?:[:=]true)?$/.test(opt))) {
    problems.push(`${at}.security_opt must include no-new-privileges:true`);
  }
  const appUser = app.user === undefined ? undefined : String(app.user);
  if (appUser !== user && !appUser?.startsWith(`${user}:`)) problems.push(`${at}.user must be ${user}`);
  return problems;
}

export function checkPorts(doc: ComposeFile, policy: StackPolicy): string[] {
  return Object.entries(doc.services ?? {}).flatMap(([name, service]) =>
    (service.ports ?? []).flatMap((port) => {
      if (name === policy.proxy) return [];
      const { hostIp, target } = parsePort(port);
      if (!policy.uis.includes(name)) return [`services.${name} publishes port ${target} to the host: only ${policy.proxy} and the UIs may`];
      if (!hostIp || !LOOPBACK.has(hostIp)) return [`services.${name} publishes port ${target} on ${hostIp ?? "every address"}: UIs bind to 127.0.0.1 only`];
      return [];
    }),
  );
}

export function checkVolumes(doc: ComposeFile, policy: StackPolicy): string[] {
  const declared = new Set(Object.keys(doc.volumes ?? {}));
  const used = new Set<string>();
  const problems: string[] = [];
  for (const [name, service] of Object.entries(doc.services ?? {})) {
    for (const mount of mountsOf(service)) {
      if (mount.kind !== "volume" || !mount.source) continue;
      used.add(mount.source);
      if (!declared.has(mount.source)) problems.push(`services.${name} mounts volume ${mount.source}, which is not declared under volumes`);
    }
  }
  for (const volume of declared) if (!used.has(volume)) problems.push(`volume ${volume} is declared but no service mounts it`);
  for (const [name, target] of Object.entries(policy.stateVolumes)) {
    const service = doc.services?.[name];
    if (service && !mountsOf(service).some((m) => m.kind === "volume" && m.target === target)) {
      problems.push(`services.${name} keeps its state in ${target}, which must be a named volume`);
    }
  }
  return problems;
}

export function checkImages(doc: ComposeFile): string[] {
  return Object.entries(doc.services ?? {}).flatMap(([name, service]) => {
    if (!service.image) return service.build === undefined ? [`services.${name} has neither image nor build`] : [];
    if (service.image.includes("@sha256:")) return [];
    const lastPart = service.image.split("/").pop()!;
    const tag = lastPart.includes(":") ? lastPart.split(":").pop() : undefined;
    if (!tag) return [`services.${name}.image ${service.image} has no tag: pin a version`];
    if (tag === "latest") return [`services.${name}.image ${service.image} uses latest: pin a version`];
    return [];
  });
}

export function checkDependsOn(doc: ComposeFile): string[] {
  return Object.entries(doc.services ?? {}).flatMap(([name, service]) => {
    const targets = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    return targets.filter((target) => !doc.services?.[target]).map((target) => `services.${name} depends on ${target}, which is not a service`);
  });
}

export function checkNetworks(doc: ComposeFile, policy: StackPolicy): string[] {
  const declared = doc.networks ?? {};
  const problems: string[] = [];
  const services = doc.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    for (const network of networksOf(service)) {
      if (network !== "default" && !(network in declared)) problems.push(`services.${name} joins network ${network}, which is not declared`);
    }
  }
  for (const name of policy.internalOnly) {
    const service = services[name];
    const open = service ? networksOf(service).filter((network) => declared[network]?.internal !== true) : [];
    if (open.length > 0) problems.push(`services.${name} must sit on internal networks only, not on ${open.join(", ")}`);
  }
  for (const [a, b] of policy.reachable) {
    const [first, second] = [services[a], services[b]];
    if (!first || !second) continue;
    const shared = networksOf(first).filter((network) => networksOf(second).includes(network));
    if (shared.length === 0) problems.push(`services.${a} and services.${b} share no network, so they cannot reach each other`);
  }
  return problems;
}

/**
 * On the raw file, before interpolation: a secret-named variable must come from .env as a bare
 * `${VAR}` (a `${VAR:-}` empty default is fine), never be written in the Compose file.
 */
export function checkSecretEnvironment(raw: ComposeFile): string[] {
  return Object.entries(raw.services ?? {}).flatMap(([name, service]) =>
    Object.entries(environmentOf(service))
      .filter(([key, value]) => isSecretKey(key) && value !== undefined && (!/\$\{[A-Za-z_]/.test(value) || literalPart(value) !== ""))
      .map(([key]) => `services.${name}.environment.${key} must be a \${VAR} reference to .env, not a value in the Compose file`),
  );
}

/** Every structural check on an interpolated Compose file. */
export function checkStack(doc: ComposeFile, policy: StackPolicy): string[] {
  return [
    ...checkServicesPresent(doc, policy),
    ...checkHealthchecks(doc),
    ...checkApp(doc, policy),
    ...checkPorts(doc, policy),
    ...checkVolumes(doc, policy),
    ...checkImages(doc),
    ...checkDependsOn(doc),
    ...checkNetworks(doc, policy),
  ];
}
