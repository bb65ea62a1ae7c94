import { record } from "../telemetry/metrics.js";

/** Blocked questions counted in this process, by reason (also in `guichet_guard_decisions_total`). */
const blocked = new Map<string, number>();

export function countBlocked(reason: string): void {
  blocked.set(reason, (blocked.get(reason) ?? 0) + 1);
  record.guardDecision("blocked", reason);
}

/** A question let through: `redacted` once per kind of personal data removed, else `allowed`. */
export function countAllowed(redacted: readonly string[]): void {
  if (redacted.length === 0) record.guardDecision("allowed", "none");
  for (const kind of redacted) record.guardDecision("redacted", kind);
}

/** Blocked questions counted so far in this process, by reason. */
export function blockedCounts(): Record<string, number> {
  return Object.fromEntries(blocked);
}
