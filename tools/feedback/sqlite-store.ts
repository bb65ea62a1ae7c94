import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { openSqliteDatabase, type SqliteDatabase } from "../threads/sqlite-database.js";
import { ENTRY_COLUMNS, entryOf, REVIEW_FILTER, type EntryRow } from "./entry-row.js";
import {
  FeedbackStoreUnavailableError,
  type FeedbackEntry,
  type FeedbackStore,
  type NewFeedback,
  type RateOutcome,
  type Rating,
  type RunOutcome,
  type RunRecord,
  type RunRef,
} from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  trace_id TEXT NOT NULL,
  caller TEXT NOT NULL,
  question TEXT NOT NULL,
  understood_as TEXT,
  language TEXT NOT NULL,
  passage_ids TEXT NOT NULL,
  cited_fiches TEXT NOT NULL,
  answer TEXT NOT NULL,
  variant TEXT,
  latency_ms REAL NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_trace ON runs (trace_id, caller);
CREATE INDEX IF NOT EXISTS runs_by_age ON runs (created_at);
CREATE TABLE IF NOT EXISTS feedback (
  feedback_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE REFERENCES runs (run_id) ON DELETE CASCADE,
  rating TEXT NOT NULL,
  reason TEXT,
  comment TEXT,
  created_at INTEGER NOT NULL,
  reviewed_at INTEGER,
  expected_fiches TEXT
);
`;

/** The run log in one SQLite file (node:sqlite on Node 22.5+, better-sqlite3 before): one instance only. */
export class SqliteFeedbackStore implements FeedbackStore {
  readonly kind = "sqlite" as const;
  private readonly db: SqliteDatabase;
  private closed = false;

  constructor(
    path: string,
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = openSqliteDatabase(path);
    // Expired runs are deleted, not left readable in free pages; a rating goes when its run goes.
    this.db.pragma("secure_delete = ON");
    this.db.pragma("foreign_keys = ON");
    // While `feedback:export` writes the file, the server waits a little (the drivers block the event loop), then
    // answers without run_id: better-sqlite3 would wait 5 s, node:sqlite not at all.
    this.db.pragma("busy_timeout = 100");
    // A run is logged on every answer, synchronously: a write-ahead log without an fsync per insert keeps it well
    // under a millisecond (a power cut may lose the last runs, which only makes them unratable).
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  private cutoff(): number {
    return this.now() - this.retentionMs;
  }

  /** Every failure of the file (locked, full, closed) is the store being unavailable, not a server bug. */
  private guarded<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(new FeedbackStoreUnavailableError(error));
    }
  }

  recordRun(run: RunRecord): Promise<void> {
    return this.guarded(() => {
      this.db
        .prepare(
          `INSERT INTO runs (run_id, trace_id, caller, question, understood_as, language, passage_ids, cited_fiches, answer,
             variant, latency_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          run.runId, run.traceId, run.caller, run.question, run.understoodAs ?? null, run.language,
          JSON.stringify(run.passageIds), JSON.stringify(run.citedFiches), run.answer, run.variant ?? null, run.latencyMs,
          run.createdAt,
        );
    });
  }

  rate(ref: RunRef, caller: string, feedback: NewFeedback): Promise<RateOutcome> {
    return this.guarded(() => {
      let outcome: RateOutcome = { status: "unknown_run" };
      this.db.transaction(() => {
        const by = "runId" in ref ? "run_id" : "trace_id";
        // Several runs may share a trace id (a client that sends one traceparent for many requests): the latest.
        const run = this.db
          .prepare(`SELECT run_id FROM runs WHERE ${by} = ? AND caller = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1`)
          .get("runId" in ref ? ref.runId : ref.traceId, caller, this.cutoff()) as { run_id: string } | undefined;
        if (!run) return;
        const feedbackId = randomUUID();
        const inserted = this.db
          .prepare(
            `INSERT INTO feedback (feedback_id, run_id, rating, reason, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (run_id) DO NOTHING`,
          )
          .run(feedbackId, run.run_id, feedback.rating, feedback.reason ?? null, feedback.comment ?? null, this.now()) as {
          changes: number | bigint;
        };
        if (Number(inserted.changes) === 1) {
          outcome = { status: "recorded", feedbackId, runId: run.run_id };
          return;
        }
        const existing = this.db.prepare("SELECT feedback_id FROM feedback WHERE run_id = ?").get(run.run_id) as { feedback_id: string };
        outcome = { status: "already_rated", feedbackId: existing.feedback_id, runId: run.run_id };
      })();
      return outcome;
    });
  }

  list(which: "pending" | "reviewed" | "all"): Promise<FeedbackEntry[]> {
    return this.guarded(() => {
      const rows = this.db
        .prepare(
          `SELECT ${ENTRY_COLUMNS} FROM feedback f JOIN runs r ON r.run_id = f.run_id
           WHERE r.created_at >= ? ${REVIEW_FILTER[which]} ORDER BY f.created_at, f.feedback_id`,
        )
        .all(this.cutoff()) as Array<EntryRow<number, string>>;
      return rows.map((row) => entryOf(row, (ms) => ms, (json) => JSON.parse(json) as string[]));
    });
  }

  markReviewed(feedbackIds: string[], expectedFiches?: string[]): Promise<void> {
    return this.guarded(() => {
      const mark = this.db.prepare(
        "UPDATE feedback SET reviewed_at = ?, expected_fiches = COALESCE(?, expected_fiches) WHERE feedback_id = ?",
      );
      const expected = expectedFiches ? JSON.stringify(expectedFiches) : null;
      this.db.transaction(() => {
        for (const id of feedbackIds) mark.run(this.now(), expected, id);
      })();
    });
  }

  runOutcomes(): Promise<RunOutcome[]> {
    return this.guarded(() => {
      const rows = this.db
        .prepare(
          `SELECT r.variant, r.latency_ms, f.rating FROM runs r LEFT JOIN feedback f ON f.run_id = r.run_id
           WHERE r.created_at >= ? ORDER BY r.created_at`,
        )
        .all(this.cutoff()) as Array<{ variant: string | null; latency_ms: number; rating: Rating | null }>;
      return rows.map((row) => ({ variant: row.variant, latencyMs: row.latency_ms, rating: row.rating }));
    });
  }

  sweep(): Promise<number> {
    return this.guarded(() => {
      const deleted = this.db.prepare("DELETE FROM runs WHERE created_at < ?").run(this.cutoff()) as { changes: number | bigint };
      // The old page images wait in the write-ahead log until a checkpoint: fold it in and truncate it now.
      if (Number(deleted.changes) > 0) this.db.pragma("wal_checkpoint(TRUNCATE)");
      return Number(deleted.changes);
    });
  }

  close(): Promise<void> {
    if (!this.closed) this.db.close();
    this.closed = true;
    return Promise.resolve();
  }
}
