import type { FeedbackEntry } from "./types.js";

/** The columns every store selects for a rating and its run; times and lists come in the driver's own types. */
export const ENTRY_COLUMNS = `f.feedback_id, f.rating, f.reason, f.comment, f.created_at, f.reviewed_at, f.expected_fiches,
  r.run_id, r.trace_id, r.caller, r.question, r.understood_as, r.language, r.passage_ids, r.cited_fiches, r.answer,
  r.variant, r.latency_ms, r.created_at AS run_created_at`;

/** Which ratings a listing keeps. */
export const REVIEW_FILTER = { pending: "AND f.reviewed_at IS NULL", reviewed: "AND f.reviewed_at IS NOT NULL", all: "" } as const;

export interface EntryRow<Time, List> {
  feedback_id: string;
  rating: string;
  reason: string | null;
  comment: string | null;
  created_at: Time;
  reviewed_at: Time | null;
  expected_fiches: List | null;
  run_id: string;
  trace_id: string;
  caller: string;
  question: string;
  understood_as: string | null;
  language: string;
  passage_ids: List;
  cited_fiches: List;
  answer: string;
  variant: string | null;
  latency_ms: number;
  run_created_at: Time;
}

/** A selected row as an entry: SQLite keeps times as milliseconds and lists as JSON text, PostgreSQL as timestamptz and text[]. */
export function entryOf<Time, List>(row: EntryRow<Time, List>, time: (value: Time) => number, list: (value: List) => string[]): FeedbackEntry {
  return {
    feedbackId: row.feedback_id,
    rating: row.rating as FeedbackEntry["rating"],
    ...(row.reason !== null ? { reason: row.reason as NonNullable<FeedbackEntry["reason"]> } : {}),
    ...(row.comment !== null ? { comment: row.comment } : {}),
    createdAt: time(row.created_at),
    ...(row.reviewed_at !== null ? { reviewedAt: time(row.reviewed_at) } : {}),
    ...(row.expected_fiches !== null ? { expectedFiches: list(row.expected_fiches) } : {}),
    run: {
      runId: row.run_id,
      traceId: row.trace_id,
      caller: row.caller,
      question: row.question,
      ...(row.understood_as !== null ? { understoodAs: row.understood_as } : {}),
      language: row.language,
      passageIds: list(row.passage_ids),
      citedFiches: list(row.cited_fiches),
      answer: row.answer,
      ...(row.variant !== null ? { variant: row.variant } : {}),
      latencyMs: row.latency_ms,
      createdAt: time(row.run_created_at),
    },
  };
}
