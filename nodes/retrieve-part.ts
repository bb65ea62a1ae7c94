import { capabilitiesOf } from "../graphs/capabilities.js";
import { ensureConfiguration, type GuichetRunConfig } from "../graphs/configuration.js";
import type { GuichetUpdate } from "../graphs/state.js";
import type { PartInput } from "./plan.js";

/** Retrieval for one sub-question; the branches' results are concatenated in the `parts` channel. */
export async function retrievePart(input: PartInput, config: GuichetRunConfig): Promise<GuichetUpdate> {
  const { topK, maxPerFiche } = ensureConfiguration(config);
  const hits = await (await capabilitiesOf(config)).search.searchAsync(input.partQuestion, { k: topK, maxPerFiche });
  return {
    parts: [
      {
        index: input.partIndex,
        question: input.partQuestion,
        passages: hits.map((hit) => ({ chunk: hit.chunk, score: hit.score, rank: hit.rank })),
      },
    ],
  };
}
