import { z } from "zod";
import { readJson } from "../../tools/lexicon/read.js";

/** How a source is named to people and under which licence its content is reused (docs/data.md). */
export interface Attribution {
  label: string;
  licence: string;
}

const ATTRIBUTIONS = readJson(
  "source-attribution.json",
  z.record(z.string(), z.object({ label: z.string().min(1), licence: z.string().min(1) })),
);

/** The source names lexicon/source-attribution.json knows. */
export const ATTRIBUTED_SOURCES = Object.keys(ATTRIBUTIONS);

/** A source's label and licence; a source the file does not know is shown by its name, under the service-public.fr licence. */
export function attributionOf(name: string): Attribution {
  return ATTRIBUTIONS[name] ?? { label: name, licence: ATTRIBUTIONS["vdd-npm"]!.licence };
}

/** The licences of several sources, each once, in their order. */
export function licencesOf(names: Iterable<string>): string {
  return [...new Set([...names].map((name) => attributionOf(name).licence))].join("; ");
}
