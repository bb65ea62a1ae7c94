/**
 * Named counters with one attribute: an OpenTelemetry counter each (exported by whatever meter provider is
 * installed) and in-process totals per attribute value, for `/ready`, tests and the evals.
 */
import { metrics, type Counter } from "@opentelemetry/api";

export interface CountedEvents {
  add(value: string): void;
  totals(): Record<string, number>;
}

/** A counter `name` (e.g. "guichet.cache.lookups") whose attribute `attribute` (e.g. "result") tells events apart. */
export function countedEvents(name: string, attribute: string, description: string): CountedEvents {
  const totals = new Map<string, number>();
  let counter: Counter | undefined;
  return {
    add(value) {
      counter ??= metrics.getMeter("guichet").createCounter(name, { description });
      counter.add(1, { [attribute]: value });
      totals.set(value, (totals.get(value) ?? 0) + 1);
    },
    totals: () => Object.fromEntries(totals),
  };
}
