import { LRUCache } from "lru-cache";
import { inspectQuestion, type Inspection } from "./inspect.js";

/**
 * The guard's rules and learnt classifier are a pure function of the question's text, and a repeated question
 * (the cache's exact hits) would pay them again each time: inspections of clean questions — nothing refused,
 * nothing redacted, no distress — are remembered by their exact text, a bounded number of them. Only questions in
 * which the guard found no personal data are ever kept; any other text is inspected afresh every time.
 */
const clean = new LRUCache<string, Inspection>({ max: 10_000 });

export function inspectRemembered(raw: unknown, maxLength: number): Inspection {
  if (typeof raw !== "string") return inspectQuestion(raw, { maxLength });
  const key = `${maxLength}\n${raw}`;
  const known = clean.get(key);
  if (known) return known;
  const inspection = inspectQuestion(raw, { maxLength });
  if (!inspection.reason && inspection.redacted.length === 0 && !inspection.distress) clean.set(key, inspection);
  return inspection;
}
