/** Kubernetes resource quantities ("500m", "640Mi", "1Gi", "2") as numbers: cores for CPU, bytes for memory. */

const SUFFIXES: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** The value of a quantity, or NaN when it is not one this parser reads. */
export function quantity(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return Number.NaN;
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * SUFFIXES[match[2] ?? ""]!;
}
