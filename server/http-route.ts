import type { IncomingMessage } from "node:http";

/** The routes the API serves, with their methods (anything else is a 404 or 405 problem). */
export const ROUTES: Record<string, string[]> = {
  "/": ["GET", "HEAD"],
  "/invoke": ["POST"],
  "/stream": ["POST"],
  "/feedback": ["POST"],
  "/health": ["GET", "HEAD"],
  "/ready": ["GET", "HEAD"],
  "/metrics": ["GET", "HEAD"],
  "/openapi.json": ["GET", "HEAD"],
};
/** Probes and scrapes, every few seconds: traced, they would drown the traces of questions. */
export const UNTRACED_ROUTES = new Set(["/health", "/ready", "/metrics"]);
/** The chat page's files: one label each for spans and metrics, never the file's name. */
export const WEB_FILE_PREFIXES = ["/ui/", "/dsfr/"];
const staticRoute = (path: string) => WEB_FILE_PREFIXES.find((prefix) => path.toLowerCase().startsWith(prefix));

/** Probes, scrapes and the page's files get no span. */
export const isUntraced = (path: string) => UNTRACED_ROUTES.has(routedPath(path)) || staticRoute(path) !== undefined;
export const THREAD_ROUTE_METHODS = ["GET", "HEAD", "DELETE"];
const THREAD_ROUTE = /^\/threads\/[^/]+$/;

/** The path as routed: lower case, trailing slashes dropped. */
export const routedPath = (path: string) => path.toLowerCase().replace(/(?<=.)\/+$/, "");

/**
 * The route template of a request, a bounded label for spans and metrics: never a thread id, never a path
 * nobody serves (`unmatched`). Takes Node's request too, as the HTTP instrumentation hands it over.
 */
export function routeOf(req: IncomingMessage & { route?: { path?: unknown }; path?: string; originalUrl?: string }): string {
  const matched = req.route?.path;
  if (typeof matched === "string") return matched;
  // Inside a mounted middleware (the page's files) `path` is relative to the mount point: the original URL is not.
  const path = routedPath((req.originalUrl ?? req.path ?? req.url ?? "/").split("?")[0] ?? "/");
  if (ROUTES[path]) return path;
  const files = staticRoute(path);
  if (files) return `${files}*`;
  return THREAD_ROUTE.test(path) ? "/threads/:id" : "unmatched";
}
