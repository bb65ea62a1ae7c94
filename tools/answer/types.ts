import type { Chunk } from "../../corpus/chunk.js";

/** A retrieved passage as the graph carries it. */
export interface Passage {
  chunk: Chunk;
  score: number;
  rank: number;
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
}

/** Writes an answer from the question and the retrieved passages. */
export interface Answerer {
  readonly name: string;
  answer(question: string, passages: Passage[]): Promise<Reply>;
}
