/** What a rating says of an answer. */
export const RATINGS = ["up", "down"] as const;
export type Rating = (typeof RATINGS)[number];

/** Why an answer was rated: a closed list, so that ratings can be counted by reason (docs/feedback.md). */
export const FEEDBACK_REASONS = ["wrong", "incomplete", "outdated", "unclear", "off_topic", "other"] as const;
export type FeedbackReason = (typeof FEEDBACK_REASONS)[number];

/** One answered question, as the run log keeps it: redacted text only, never the question as typed. */
export interface RunRecord {
  runId: string;
  traceId: string;
  /** The principal that asked (`key:NAME`, `jwt:SUBJECT` or `anonymous`): the only one who may rate the run. */
  caller: string;
  /** The question as the guard left it (personal data replaced by placeholders). */
  question: string;
  /** In a conversation, the standalone question answered (absent when it is the question itself). */
  understoodAs?: string;
  language: string;
  /** Chunk ids (`F1234#2`) of the passages the answer was written from ([] on an exact cache hit). */
  passageIds: string[];
  /** Fiche ids the answer cites. */
  citedFiches: string[];
  answer: string;
  /** The run-configuration variant (A/B experiment) that answered, if any. */
  variant?: string;
  latencyMs: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A run as the online A/B report counts it. */
export interface RunOutcome {
  variant: string | null;
  latencyMs: number;
  rating: Rating | null;
}

/** How a caller names the run it rates. */
export type RunRef = { runId: string } | { traceId: string };

export interface NewFeedback {
  rating: Rating;
  reason?: FeedbackReason;
  /** Already trimmed and redacted. */
  comment?: string;
}

export type RateOutcome =
  | { status: "recorded"; feedbackId: string; runId: string }
  /** Unknown, expired or another caller's: the same outcome, so that nobody learns which. */
  | { status: "unknown_run" }
  | { status: "already_rated"; feedbackId: string; runId: string };

/** A rating with the run it rates, as the review and the export read it. */
export interface FeedbackEntry extends NewFeedback {
  feedbackId: string;
  createdAt: number;
  /** When a reviewer marked it usable as an eval candidate. */
  reviewedAt?: number;
  /** The fiches that answer the question, as the reviewer gave them ([] = nothing should be answered). */
  expectedFiches?: string[];
  run: RunRecord;
}

export interface FeedbackConfig {
  backend: "sqlite" | "postgres" | "off";
  sqlitePath: string;
  databaseUrl?: string;
  schema: string;
  retentionMs: number;
}

/** The store is unreachable (or failing): `/feedback` answers 503 with Retry-After, answers go out without `run_id`. */
export class FeedbackStoreUnavailableError extends Error {
  readonly retryAfterS = 5;
  constructor(cause: unknown) {
    super("the feedback store is unreachable", { cause });
    this.name = "FeedbackStoreUnavailableError";
  }
}

/**
 * The run log and the ratings given to its runs. Runs older than the retention are invisible at once and deleted
 * by `sweep`, their ratings with them.
 */
export interface FeedbackStore {
  readonly kind: "sqlite" | "postgres";
  recordRun(run: RunRecord): Promise<void>;
  /** Rates the caller's run; a run is rated once. */
  rate(ref: RunRef, caller: string, feedback: NewFeedback): Promise<RateOutcome>;
  /** Ratings of runs still kept, oldest first: waiting for review, reviewed, or both. */
  list(which: "pending" | "reviewed" | "all"): Promise<FeedbackEntry[]>;
  /** Marks ratings reviewed (again, if they were), with the fiches that answer their question when given. */
  markReviewed(feedbackIds: string[], expectedFiches?: string[]): Promise<void>;
  /** Every run still kept, with its variant, latency and rating (if rated): what the online A/B report reads. */
  runOutcomes(): Promise<RunOutcome[]>;
  /** Deletes the runs older than the retention, and their ratings; returns how many runs. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}
