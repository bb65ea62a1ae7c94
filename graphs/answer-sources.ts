import { attributionOf, licencesOf } from "../corpus/sources/attribution.js";
import type { Chunk } from "../corpus/chunk.js";
import type { Citation } from "../tools/answer/types.js";
import type { Snapshot } from "./capabilities.js";

/** The `sources` of a response: the data set, its snapshot date and its licence. */
export interface AnswerSources {
  name: string;
  snapshot_date: string;
  licence: string;
}

const sourceByFiche = new WeakMap<readonly Chunk[], Map<string, string>>();

/** The source name of each fiche of an index, worked out once per index. */
function ficheSources(chunks: readonly Chunk[]): Map<string, string> {
  let map = sourceByFiche.get(chunks);
  if (!map) {
    map = new Map(chunks.map((c) => [c.ficheId, c.source]));
    sourceByFiche.set(chunks, map);
  }
  return map;
}

/** The whole knowledge base: every source, the latest fiche date of all. */
export function knowledgeBaseSources(snapshot: Snapshot): AnswerSources {
  const names = (snapshot.locations ?? []).map((l) => l.name);
  return { name: snapshot.source, snapshot_date: snapshot.date, licence: licencesOf(names.length > 0 ? names : ["vdd-npm"]) };
}

/**
 * The sources an answer comes from: those of the fiches it cites, with their own snapshot date, so that an answer
 * from the 2020 service-public.fr snapshot does not carry the date of the newer labour fiches beside it. An answer
 * citing nothing (a refusal, nothing found), or an index whose sources are not dated, names the whole knowledge base.
 */
export function answerSources(snapshot: Snapshot, chunks: readonly Chunk[], citations: readonly Citation[]): AnswerSources {
  const bySource = ficheSources(chunks);
  const cited = new Set(citations.map((c) => bySource.get(c.id)).filter((name): name is string => name !== undefined));
  const dates = snapshot.sourceDates ?? {};
  if (cited.size === 0 || [...cited].some((name) => !dates[name])) return knowledgeBaseSources(snapshot);
  const locations = (snapshot.locations ?? []).filter((l) => cited.has(l.name));
  // In the knowledge base's order, as `name` lists them.
  const names = [...new Set([...locations.map((l) => l.name), ...cited])];
  return {
    name: locations.length > 0 ? locations.map((l) => l.location).join(" + ") : names.map((name) => attributionOf(name).label).join(" + "),
    snapshot_date: names.map((name) => dates[name]!).sort().at(-1)!,
    licence: licencesOf(names),
  };
}
