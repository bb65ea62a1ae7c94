import { capabilitiesOf } from "../graphs/capabilities.js";
import { ensureConfiguration, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetStateType, GuichetUpdate } from "../graphs/state.js";

/** Finds the passages of the fiches that best match the question (top-k, grouped per fiche). */
export async function retrieve(state: GuichetStateType, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const { topK, maxPerFiche } = ensureConfiguration(config);
  const degradations: string[] = [];
  const hits = await (await capabilitiesOf(config)).search.searchAsync(state.normalizedQuestion, {
    k: topK,
    maxPerFiche,
    onDegraded: (what) => degradations.push(what),
    ...(config?.signal ? { signal: config.signal } : {}),
  });
  return {
    passages: hits.map((hit) => ({ chunk: hit.chunk, score: hit.score, rank: hit.rank })),
    ...(degradations.length > 0 ? { degradations } : {}),
  };
}
