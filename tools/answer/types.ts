import type { Chunk, ChunkAction } from "../../corpus/chunk.js";

/** A retrieved passage as the graph carries it. */
export interface Passage {
  chunk: Chunk;
  score: number;
  rank: number;
  /** Not retrieved: another chunk of a retrieved fiche, added so that the answer can read the whole fiche. */
  expanded?: boolean;
}

export interface Citation {
  n: number;
  id: string;
  title: string;
  url: string;
  date: string;
  snippet: string;
}

export interface Reply {
  answer: string;
  citations: Citation[];
  /** False when the passages did not answer the question (the answer then says so). */
  found: boolean;
  /** Online services, forms and offices of the cited fiches, as links (never in the prose). */
  actions?: ChunkAction[];
}

/** Writes an answer from the question and the retrieved passages. */
export interface Answerer {
  readonly name: string;
  answer(question: string, passages: Passage[]): Promise<Reply>;
  /** The passages to answer from: the retrieved ones plus whatever else the answerer wants to read. */
  expand?(passages: Passage[]): Passage[];
}
