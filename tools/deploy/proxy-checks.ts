/** The reverse proxy's contract with the stack, read from its nginx configuration. */
import { directives, effective, locationFor, nginxTimeMs, type Directive } from "./nginx-conf.js";

export interface ProxyPolicy {
  listenPort: number;
  /** Where the app's paths must go, e.g. http://guichet:3000. */
  upstream: string;
  /** The app's own deadline: the proxy must wait longer, so the app's 504 reaches the caller. */
  requestTimeoutMs: number;
  /** The Server-Sent Events route, which must not be buffered. */
  streamPath: string;
  /** Paths that must reach the app. */
  proxiedPaths: string[];
  /** Paths the proxy must not pass on. */
  blockedPaths: string[];
  /** The proxy's own health path, answered 200 by nginx itself. */
  healthPath: string;
}

// nginx's defaults when a timeout is not set.
const DEFAULT_TIMEOUT = "60s";

function listensOn(server: Directive, port: number): boolean {
  return directives(server.block, "listen").some((l) => new RegExp(`(^|:)${port}$`).test(l.args[0] ?? ""));
}

/** A proxy_pass target with the `set $name value;` variables of its scopes replaced. */
function resolveTarget(target: string, scopes: (Directive[] | undefined)[]): string {
  return target.replace(/\$(\w+)/g, (whole, name: string) => {
    const set = scopes.flatMap((scope) => directives(scope, "set")).filter((d) => d.args[0] === `$${name}`).at(-1);
    return set?.args[1] ?? whole;
  });
}

function checkProxiedPath(path: string, http: Directive, server: Directive, policy: ProxyPolicy): string[] {
  const location = locationFor(server.block ?? [], path);
  if (!location) return [`no location serves ${path}`];
  const scopes = [http.block, server.block, location.block];
  const pass = directives(location.block, "proxy_pass")[0]?.args[0];
  if (!pass) return [`${path} is not proxied (its location has no proxy_pass)`];
  const problems: string[] = [];
  const target = resolveTarget(pass, scopes);
  if (target !== policy.upstream && !target.startsWith(`${policy.upstream}/`)) problems.push(`${path} is proxied to ${target}, not to ${policy.upstream}`);
  // A variable target is resolved at run time, by the resolver only.
  if (pass.includes("$") && !effective(scopes, "resolver")) problems.push(`${path}: proxy_pass uses a variable but no resolver is set`);
  for (const name of ["proxy_read_timeout", "proxy_send_timeout"]) {
    const value = effective(scopes, name)?.[0] ?? DEFAULT_TIMEOUT;
    if (nginxTimeMs(value) <= policy.requestTimeoutMs) {
      problems.push(`${path}: ${name} ${value} is not longer than the request timeout (${policy.requestTimeoutMs} ms)`);
    }
  }
  if (path === policy.streamPath && effective(scopes, "proxy_buffering")?.[0] !== "off") {
    problems.push(`${path}: proxy_buffering must be off, or Server-Sent Events arrive in bursts`);
  }
  return problems;
}

export function checkProxy(conf: Directive[], policy: ProxyPolicy): string[] {
  const http = directives(conf, "http")[0];
  if (!http) return ["no http block"];
  const server = directives(http.block, "server").find((s) => listensOn(s, policy.listenPort));
  if (!server) return [`no server listens on port ${policy.listenPort}`];
  const problems = [policy.streamPath, ...policy.proxiedPaths].flatMap((path) => checkProxiedPath(path, http, server, policy));
  for (const path of policy.blockedPaths) {
    const location = locationFor(server.block ?? [], path);
    if (directives(location?.block, "proxy_pass").length > 0) problems.push(`${path} must not be passed on to the app`);
  }
  const health = locationFor(server.block ?? [], policy.healthPath);
  if (directives(health?.block, "return")[0]?.args[0] !== "200") problems.push(`${policy.healthPath} must be answered 200 by the proxy itself`);
  return [...new Set(problems)];
}
