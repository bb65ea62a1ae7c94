import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
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
import { ENTRY_COLUMNS, entryOf, REVIEW_FILTER, type EntryRow } from "./entry-row.js";

/** The tables, in their own schema; the name was checked as a lower-case SQL identifier by the configuration. */
const schemaSql = (s: string) => `
CREATE SCHEMA IF NOT EXISTS "${s}";
CREATE TABLE IF NOT EXISTS "${s}".runs (
  run_id uuid PRIMARY KEY,
  trace_id text NOT NULL,
  caller text NOT NULL,
  question text NOT NULL,
  understood_as text,
  language text NOT NULL,
  passage_ids text[] NOT NULL,
  cited_fiches text[] NOT NULL,
  answer text NOT NULL,
  variant text,
  latency_ms double precision NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_trace ON "${s}".runs (trace_id, caller);
CREATE INDEX IF NOT EXISTS runs_by_age ON "${s}".runs (created_at);
CREATE TABLE IF NOT EXISTS "${s}".feedback (
  feedback_id uuid PRIMARY KEY,
  run_id uuid NOT NULL UNIQUE REFERENCES "${s}".runs (run_id) ON DELETE CASCADE,
  rating text NOT NULL,
  reason text,
  comment text,
  created_at timestamptz NOT NULL,
  reviewed_at timestamptz,
  expected_fiches text[]
);`;

/** How long after a failure runs go unlogged without trying (ratings always try). */
const RETRY_AFTER_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The run log in PostgreSQL (DATABASE_URL), shared by every instance: a run answered by one can be rated on another. */
export class PostgresFeedbackStore implements FeedbackStore {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private setUp: Promise<void> | undefined;
  private reachable = false;
  /** When the last call failed (real time): for a while after, runs are not logged, so that answers do not wait on a dead database. */
  private failedAt = Number.NEGATIVE_INFINITY;
  private closing: Promise<void> | undefined;

  constructor(
    databaseUrl: string,
    private readonly schema: string,
    private readonly retentionMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    // Short timeouts: runs are logged on the answer's path, and a database that is down must not hold answers.
    this.pool = new pg.Pool({ connectionString: databaseUrl, connectionTimeoutMillis: 1_000, query_timeout: 2_000, max: 5, idleTimeoutMillis: 30_000 });
    this.pool.on("error", (error) => this.lost(error));
  }

  private lost(error: Error): void {
    this.failedAt = Date.now();
    if (this.reachable) this.logger.warn({ err: { message: error.message } }, "feedback: PostgreSQL unreachable");
    this.reachable = false;
  }

  /**
   * Creates the schema and tables on first contact (at start-up, and again after a failed attempt), under a lock:
   * instances starting together would otherwise race on CREATE TABLE IF NOT EXISTS.
   */
  private ensureTables(): Promise<void> {
    this.setUp ??= (async () => {
      const client = await this.pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`guichet-feedback:${this.schema}`]);
        await client.query(schemaSql(this.schema));
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.setUp = undefined;
      throw error;
    });
    return this.setUp;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      await this.ensureTables();
      const result = await work();
      if (!this.reachable) this.logger.info("feedback: PostgreSQL reachable");
      this.reachable = true;
      this.failedAt = Number.NEGATIVE_INFINITY;
      return result;
    } catch (error) {
      this.lost(error as Error);
      throw new FeedbackStoreUnavailableError(error);
    }
  }

  private table(name: "runs" | "feedback"): string {
    return `"${this.schema}".${name}`;
  }

  private cutoff(): Date {
    return new Date(this.now() - this.retentionMs);
  }

  recordRun(run: RunRecord): Promise<void> {
    if (Date.now() - this.failedAt < RETRY_AFTER_MS) return Promise.reject(new FeedbackStoreUnavailableError(new Error("PostgreSQL failed moments ago")));
    return this.guarded(async () => {
      await this.pool.query(
        `INSERT INTO ${this.table("runs")} (run_id, trace_id, caller, question, understood_as, language, passage_ids, cited_fiches,
           answer, variant, latency_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          run.runId, run.traceId, run.caller, run.question, run.understoodAs ?? null, run.language, run.passageIds, run.citedFiches,
          run.answer, run.variant ?? null, run.latencyMs, new Date(run.createdAt),
        ],
      );
    });
  }

  rate(ref: RunRef, caller: string, feedback: NewFeedback): Promise<RateOutcome> {
    // A run id that is no UUID names no run (and would be a type error for the uuid column).
    if ("runId" in ref && !UUID.test(ref.runId)) return Promise.resolve({ status: "unknown_run" });
    return this.guarded(async () => {
      const by = "runId" in ref ? "run_id" : "trace_id";
      const found = await this.pool.query<{ run_id: string }>(
        `SELECT run_id FROM ${this.table("runs")} WHERE ${by} = $1 AND caller = $2 AND created_at >= $3 ORDER BY created_at DESC LIMIT 1`,
        ["runId" in ref ? ref.runId : ref.traceId, caller, this.cutoff()],
      );
      const runId = found.rows[0]?.run_id;
      if (!runId) return { status: "unknown_run" };
      const feedbackId = randomUUID();
      const inserted = await this.pool.query(
        `INSERT INTO ${this.table("feedback")} (feedback_id, run_id, rating, reason, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (run_id) DO NOTHING`,
        [feedbackId, runId, feedback.rating, feedback.reason ?? null, feedback.comment ?? null, new Date(this.now())],
      );
      if (inserted.rowCount === 1) return { status: "recorded", feedbackId, runId };
      const existing = await this.pool.query<{ feedback_id: string }>(`SELECT feedback_id FROM ${this.table("feedback")} WHERE run_id = $1`, [runId]);
      return { status: "already_rated", feedbackId: existing.rows[0]?.feedback_id ?? "", runId };
    });
  }

  list(which: "pending" | "reviewed" | "all"): Promise<FeedbackEntry[]> {
    return this.guarded(async () => {
      const rows = await this.pool.query<EntryRow<Date, string[]>>(
        `SELECT ${ENTRY_COLUMNS} FROM ${this.table("feedback")} f JOIN ${this.table("runs")} r ON r.run_id = f.run_id
         WHERE r.created_at >= $1 ${REVIEW_FILTER[which]} ORDER BY f.created_at, f.feedback_id`,
        [this.cutoff()],
      );
      return rows.rows.map((row) => entryOf(row, (date) => date.getTime(), (list) => list));
    });
  }

  markReviewed(feedbackIds: string[], expectedFiches?: string[]): Promise<void> {
    const ids = feedbackIds.filter((id) => UUID.test(id));
    return this.guarded(async () => {
      await this.pool.query(
        `UPDATE ${this.table("feedback")} SET reviewed_at = $1, expected_fiches = COALESCE($2, expected_fiches) WHERE feedback_id = ANY($3::uuid[])`,
        [new Date(this.now()), expectedFiches ?? null, ids],
      );
    });
  }

  runOutcomes(): Promise<RunOutcome[]> {
    return this.guarded(async () => {
      const rows = await this.pool.query<{ variant: string | null; latency_ms: number; rating: Rating | null }>(
        `SELECT r.variant, r.latency_ms, f.rating FROM ${this.table("runs")} r LEFT JOIN ${this.table("feedback")} f ON f.run_id = r.run_id
         WHERE r.created_at >= $1 ORDER BY r.created_at`,
        [this.cutoff()],
      );
      return rows.rows.map((row) => ({ variant: row.variant, latencyMs: Number(row.latency_ms), rating: row.rating }));
    });
  }

  sweep(): Promise<number> {
    return this.guarded(async () => {
      const deleted = await this.pool.query(`DELETE FROM ${this.table("runs")} WHERE created_at < $1`, [this.cutoff()]);
      return deleted.rowCount ?? 0;
    });
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}
