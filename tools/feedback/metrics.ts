import { Counter } from "prom-client";
import { metricsEnabled, registry } from "../telemetry/metrics.js";
import type { FeedbackReason, Rating } from "./types.js";

const ratings = new Counter({
  name: "guichet_feedback_total",
  help: "Ratings of answers recorded, by rating (up, down) and reason (none when not given)",
  labelNames: ["rating", "reason"] as const,
  registers: [registry],
});

const runLogFailures = new Counter({
  name: "guichet_run_log_failures_total",
  help: "Answers sent without run_id because the run log could not record their run",
  registers: [registry],
});

export function countRating(rating: Rating, reason: FeedbackReason | undefined): void {
  if (metricsEnabled()) ratings.inc({ rating, reason: reason ?? "none" });
}

export function countRunLogFailure(): void {
  if (metricsEnabled()) runLogFailures.inc();
}
