import type { ChunkAction } from "../../corpus/chunk.js";
import type { Citation } from "../answer/types.js";

/** What a cache entry holds: the parts of a response that depend only on the question and the versions. */
export interface CachedAnswer {
  answer: string;
  citations: Citation[];
  actions: ChunkAction[];
  language: string;
  found: boolean;
}
