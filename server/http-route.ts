import type { IncomingMessage } from "node:http";

/** The routes the API serves, with their methods (anything else is a 404 or 405 problem). */
export const ROUTES: Record<string, string[]> = {
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
export const THREAD_ROUTE_METHODS = ["GET", "HEAD", "DELETE"];
const THREAD_ROUTE = /^\/threads\/[^/]+$/;

/** The path as routed: lower case, trailing slashes dropped. */
export const routedPath = (path: string) => path.toLowerCase().replace(/(?<=.)\/+$/, "");

/**
 * The route template of a request, a bounded label for spans and metrics: never a thread id, never a path
 * nobody serves (`unmatched`). Takes Node's request too, as the HTTP instrumentation hands it over.
 */
export function routeOf(req: IncomingMessage & { route?: { path?: unknown }; path?: string }): string {
  const matched = req.route?.path;
  if (typeof matched === "string") return matched;
  const path = routedPath(req.path ?? new URL(req.url ?? "/", "http://host").pathname);
  if (ROUTES[path]) return path;
  return THREAD_ROUTE.test(path) ? "/threads/:id" : "unmatched";
}
