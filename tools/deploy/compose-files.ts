/**
 * What `docker compose config` / `up` would fail to find: every path a Compose file names,
 * resolved against the file's folder, and every variable it interpolates, in .env.example.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { ComposeFile, Service } from "./compose-types.js";
import type { EnvFile } from "./env-file.js";

export type Exists = (path: string) => boolean;

/** The host side of a short-syntax volume, when it is a path (a bind mount) rather than a volume name. */
export function bindSource(volume: string | { type?: string; source?: string }): string | undefined {
  if (typeof volume !== "string") return volume.type === "bind" ? volume.source : undefined;
  const source = volume.split(":")[0]!;
  return /^(?:\.|\/|~)/.test(source) && volume.includes(":") ? source : undefined;
}

function isRemote(context: string): boolean {
  return /^(?:https?:\/\/|git@|git:\/\/|github\.com\/)/.test(context);
}

function buildPaths(name: string, service: Service, dir: string): { label: string; path: string }[] {
  const build = service.build;
  if (build === undefined) return [];
  const context = typeof build === "string" ? build : (build.context ?? ".");
  if (isRemote(context)) return [];
  const contextPath = resolve(dir, context);
  const paths = [{ label: `services.${name}.build.context`, path: contextPath }];
  if (typeof build === "string" || !build.dockerfile_inline) {
    const dockerfile = typeof build === "string" ? "Dockerfile" : (build.dockerfile ?? "Dockerfile");
    paths.push({ label: `services.${name}.build.dockerfile`, path: resolve(contextPath, dockerfile) });
  }
  return paths;
}

function envFilePaths(name: string, service: Service, dir: string, exists: Exists): string[] {
  const files = service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
  return files.flatMap((entry) => {
    const file = typeof entry === "string" ? entry : entry.path;
    const required = typeof entry === "string" || entry.required !== false;
    const path = resolve(dir, file);
    if (exists(path)) return [];
    // .env is each developer's own and git-ignored: absent in a fresh clone, as long as its template is there.
    if (/(^|\/)\.env$/.test(file) && exists(`${path}.example`)) return [];
    if (!required) return [];
    return [`services.${name}.env_file: ${file} does not exist`];
  });
}

/** Every referenced path that does not exist, as `<where>: <path> does not exist`. */
export function missingFiles(doc: ComposeFile, composeDir: string, exists: Exists = existsSync): string[] {
  const problems: string[] = [];
  const check = (label: string, path: string, shown = path) => {
    if (!exists(path)) problems.push(`${label}: ${shown} does not exist`);
  };
  for (const [name, service] of Object.entries(doc.services ?? {})) {
    for (const { label, path } of buildPaths(name, service, composeDir)) check(label, path);
    (service.volumes ?? []).forEach((volume, i) => {
      const source = bindSource(volume);
      if (source && !source.startsWith("~")) check(`services.${name}.volumes[${i}]`, isAbsolute(source) ? source : join(composeDir, source), source);
    });
    problems.push(...envFilePaths(name, service, composeDir, exists));
    if (service.extends?.file) check(`services.${name}.extends.file`, resolve(composeDir, service.extends.file), service.extends.file);
  }
  for (const section of ["secrets", "configs"] as const) {
    for (const [name, entry] of Object.entries(doc[section] ?? {})) {
      if (entry?.file) check(`${section}.${name}.file`, resolve(composeDir, entry.file), entry.file);
    }
  }
  return problems;
}

/**
 * The template must list every variable the Compose file interpolates, each with a comment, and
 * only those; a `${VAR:-default}` variable has the same value there as the file's default (or they drift apart).
 */
export function templateProblems(names: string[], defaults: Record<string, string>, template: EnvFile): string[] {
  const problems = template.errors.map((error) => `.env.example ${error}`);
  for (const name of names) {
    const entry = template.entries.findLast((e) => e.name === name);
    if (!entry) {
      problems.push(`${name} is used by the Compose file but missing from .env.example`);
      continue;
    }
    if (!entry.documented) problems.push(`${name} has no comment in .env.example`);
    if (name in defaults && defaults[name] !== entry.value) {
      problems.push(`${name} defaults to "${defaults[name]}" in the Compose file but is "${entry.value}" in .env.example`);
    }
  }
  for (const entry of template.entries) {
    if (!names.includes(entry.name)) problems.push(`${entry.name} is in .env.example but the Compose file does not use it`);
  }
  return problems;
}

/** The `${VAR:-default}` defaults of a raw (not interpolated) Compose text. */
export function composeDefaults(text: string): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const match of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}$]*)\}/g)) defaults[match[1]!] = match[2]!;
  return defaults;
}
