/** The parts of a Compose file the checks read (everything else is left to the schema). */

export type ListOrDict = string[] | Record<string, string | number | boolean | null>;

export interface PortLong {
  target?: number;
  published?: number | string;
  host_ip?: string;
  protocol?: string;
}

export interface VolumeLong {
  type?: string;
  source?: string;
  target?: string;
}

export interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; dockerfile_inline?: string };
  container_name?: string;
  user?: string | number;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string | string[];
  volumes?: (string | VolumeLong)[];
  ports?: (string | number | PortLong)[];
  environment?: ListOrDict;
  env_file?: string | (string | { path: string; required?: boolean })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  deploy?: { replicas?: number };
  networks?: string[] | Record<string, unknown>;
  extends?: { file?: string; service?: string };
  [key: string]: unknown;
}

export interface ComposeFile {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { internal?: boolean } | null>;
  secrets?: Record<string, { file?: string }>;
  configs?: Record<string, { file?: string }>;
  [key: string]: unknown;
}

export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A service's environment as a map (Compose accepts `KEY=value` lists too). */
export function environmentOf(service: Service): Record<string, string | undefined> {
  const env = service.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((item) => {
      const at = item.indexOf("=");
      return at < 0 ? [item, undefined] : [item.slice(0, at), item.slice(at + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? undefined : String(v)]));
}

/** The networks a service joins (`default` when it names none). */
export function networksOf(service: Service): string[] {
  const networks = service.networks;
  if (!networks) return ["default"];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}
