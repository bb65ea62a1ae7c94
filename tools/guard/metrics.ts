/**
 * Counts of blocked questions by reason: an OpenTelemetry counter (`guichet.guard.blocked`, attribute `reason`),
 * exported by whatever meter provider is installed, and in-process totals for tests and a later /metrics route.
 */
import { metrics } from "@opentelemetry/api";

const totals = new Map<string, number>();
let counter: ReturnType<ReturnType<typeof metrics.getMeter>["createCounter"]> | undefined;

export function countBlocked(reason: string): void {
  counter ??= metrics.getMeter("guichet").createCounter("guichet.guard.blocked", {
    description: "Questions refused by the input guard, by reason",
  });
  counter.add(1, { reason });
  totals.set(reason, (totals.get(reason) ?? 0) + 1);
}

/** Blocked questions counted so far in this process, by reason. */
export function blockedCounts(): Record<string, number> {
  return Object.fromEntries(totals);
}
