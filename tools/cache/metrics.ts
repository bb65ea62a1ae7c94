import { countedEvents } from "../telemetry/counters.js";

/** Answer-cache lookups by result (`exact`, `semantic`, `miss`, `bypass`): `guichet.cache.lookups`. */
export const cacheLookups = countedEvents("guichet.cache.lookups", "result", "Answer-cache lookups, by result");

