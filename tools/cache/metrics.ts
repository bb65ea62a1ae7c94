import type { CacheOutcome } from "../../graphs/state.js";
import { record } from "../telemetry/metrics.js";

/** Counts an answer-cache lookup as `guichet_cache_lookups_total{layer, outcome}`. */
export function countCacheLookup(status: CacheOutcome["status"]): void {
  if (status === "exact" || status === "semantic") record.cacheLookup(status, "hit");
  else if (status === "miss") record.cacheLookup("none", "miss");
  else record.cacheLookup("none", "bypass");
}
