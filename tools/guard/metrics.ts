/** Counts of blocked questions by reason (`guichet.guard.blocked`, attribute `reason`). */
import { countedEvents } from "../telemetry/counters.js";

const blocked = countedEvents("guichet.guard.blocked", "reason", "Questions refused by the input guard, by reason");

export function countBlocked(reason: string): void {
  blocked.add(reason);
}

/** Blocked questions counted so far in this process, by reason. */
export function blockedCounts(): Record<string, number> {
  return blocked.totals();
}
