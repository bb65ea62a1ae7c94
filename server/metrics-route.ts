import { timingSafeEqual, createHash } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { registry } from "../tools/telemetry/metrics.js";
import { problems } from "./problems.js";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * `GET /metrics` in the Prometheus text format. With a token configured (GUICHET_METRICS_TOKEN) only
 * `Authorization: Bearer <token>` is let in: the scraper's credential, separate from the API keys.
 */
export function metricsRoute(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (req: Request, res: Response) => {
    if (expected) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        throw problems.unauthorized("GET /metrics needs the metrics bearer token", 'Bearer realm="guichet-metrics"');
      }
    }
    res.set("Cache-Control", "no-store").type(registry.contentType).send(await registry.metrics());
  };
}
