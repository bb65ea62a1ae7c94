import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Express, type Request, type RequestHandler } from "express";
import type { Snapshot } from "../graphs/capabilities.js";
import { knowledgeBaseSources } from "../graphs/answer-sources.js";
import { attributionOf } from "../corpus/sources/attribution.js";
import { MAX_COMMENT_LENGTH } from "./feedback-schemas.js";

/** The page's folder (HTML template, ES modules, strings, styles). */
export const WEB_DIR = fileURLToPath(new URL("../ui/", import.meta.url));

export interface WebOptions {
  /** DSFR's dist folder (`@gouvfr/dsfr/dist`); absent: the neutral theme stands in for its stylesheet. */
  dsfrDir?: string;
  maxQuestionLength: number;
  threads: boolean;
  feedback: boolean;
  snapshot: Snapshot;
}

/**
 * The page's own policy: everything from this origin, nothing inline (no `unsafe-inline` for scripts or styles),
 * no framing, no plugins. The API's routes keep helmet's closed policy.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

/** A path prefix a reverse proxy announces; only plain path segments are taken. */
const PREFIX = /^(?:\/[A-Za-z0-9._~-]+)*\/?$/;

/** DSFR's brand block (the Marianne): shown only when DSFR itself is served, whose terms reserve it to the State. */
const STATE_BRAND = '<div class="fr-header__logo"><p class="fr-logo">République<br>Française</p></div>';

/** `GET /` (the chat page), `/ui/*` (its files) and `/dsfr/*` (the design system's files or the neutral theme). */
export function addWebRoutes(app: Express, options: WebOptions): void {
  const template = readFileSync(join(WEB_DIR, "index.html"), "utf8");
  const config = JSON.stringify(pageConfig(options)).replace(/</g, "\\u003c");
  const page = (base: string) =>
    template
      .replace("{{base}}", base)
      .replace("{{config}}", config)
      .replace("{{theme}}", options.dsfrDir ? "dsfr" : "neutral")
      .replace("{{brand}}", options.dsfrDir ? STATE_BRAND : "");
  const pageCsp: RequestHandler = (_req, res, next) => {
    res.setHeader("Content-Security-Policy", PAGE_CSP);
    next();
  };
  app.get("/", pageCsp, (req, res) => {
    res.set("Cache-Control", "no-cache").type("html").send(page(baseOf(req)));
  });
  const files = { index: false, redirect: false, fallthrough: true, maxAge: "1h" } as const;
  const pageFiles = express.static(WEB_DIR, { ...files, dotfiles: "ignore" });
  // The template is only served rendered, at `/`.
  app.use("/ui", pageCsp, (req, res, next) => (req.path === "/index.html" ? next() : pageFiles(req, res, next)));
  if (options.dsfrDir) {
    app.use("/dsfr", pageCsp, express.static(options.dsfrDir, { ...files, maxAge: "7d" }));
  } else {
    app.get("/dsfr/dsfr.min.css", pageCsp, (_req, res) => res.sendFile("theme/neutral.css", { root: WEB_DIR, maxAge: "1h" }));
  }
}

/** The page's `<base>`: the prefix a proxy announces (`X-Forwarded-Prefix`), else the folder the page was asked at. */
function baseOf(req: Request): string {
  const prefix = req.get("x-forwarded-prefix");
  if (prefix && PREFIX.test(prefix)) return prefix.endsWith("/") ? prefix : `${prefix}/`;
  return "./";
}

/** What the page needs to know of the deployment: limits, which features are on, the sources and their dates. */
export function pageConfig(options: WebOptions) {
  const dates = options.snapshot.sourceDates ?? {};
  const byLabel = new Map<string, string>();
  for (const [name, date] of Object.entries(dates)) {
    const label = attributionOf(name).label;
    if (date > (byLabel.get(label) ?? "")) byLabel.set(label, date);
  }
  const sources = byLabel.size > 0
    ? [...byLabel].sort(([a], [b]) => a.localeCompare(b)).map(([label, snapshot_date]) => ({ label, snapshot_date }))
    : [{ label: "service-public.fr", snapshot_date: options.snapshot.date }];
  return {
    maxQuestionChars: options.maxQuestionLength,
    maxCommentChars: MAX_COMMENT_LENGTH,
    threads: options.threads,
    feedback: options.feedback,
    licence: knowledgeBaseSources(options.snapshot).licence,
    sources,
  };
}
