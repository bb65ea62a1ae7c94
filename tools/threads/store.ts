import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { Logger } from "pino";
import { openSqliteDatabase } from "./sqlite-database.js";

export interface ThreadsConfig {
  /** "sqlite" (a file, one instance) or "postgres" (shared by every instance, with DATABASE_URL). */
  backend: "sqlite" | "postgres" | "off";
  sqlitePath: string;
  databaseUrl?: string;
  schema: string;
  retentionMs: number;
}

/** The storage of conversations is down: thread routes answer 503 with Retry-After, other questions go on. */
export class ThreadStoreUnavailableError extends Error {
  readonly retryAfterS = 5;
  constructor(cause: unknown) {
    super("the conversation store is unreachable", { cause });
    this.name = "ThreadStoreUnavailableError";
  }
}

/**
 * The LangGraph checkpointer that keeps conversations, and what the server needs around it: a cheap check that it
 * answers (before a thread run, and for `/ready`), erasure, and closing.
 */
export interface ThreadStore {
  readonly kind: "sqlite" | "postgres";
  readonly saver: BaseCheckpointSaver;
  /** Resolves when the store answers; rejects with ThreadStoreUnavailableError otherwise. */
  check(): Promise<void>;
  /** After an erasure: makes sure the deleted rows are gone from the files too, not only unlinked. */
  scrub(): Promise<void>;
  status(): { kind: "sqlite" | "postgres"; reachable: boolean };
  close(): Promise<void>;
}

export async function openThreadStore(config: ThreadsConfig, logger: Logger): Promise<ThreadStore | undefined> {
  if (config.backend === "off") return undefined;
  if (config.backend === "postgres") return openPostgres(config, logger);
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  if (config.sqlitePath !== ":memory:") mkdirSync(dirname(config.sqlitePath), { recursive: true });
  const db = openSqliteDatabase(config.sqlitePath);
  const saver = new SqliteSaver(db as unknown as ConstructorParameters<typeof SqliteSaver>[0]);
  // Erasure must erase: deleted rows are overwritten with zeros, not left in free pages.
  db.pragma("secure_delete = ON");
  return {
    kind: "sqlite",
    saver,
    check: async () => undefined,
    scrub: async () => {
      // Old page images wait in the write-ahead log until a checkpoint: fold it in and truncate it now.
      db.pragma("wal_checkpoint(TRUNCATE)");
    },
    status: () => ({ kind: "sqlite", reachable: true }),
    close: async () => db.close(),
  };
}

async function openPostgres(config: ThreadsConfig, logger: Logger): Promise<ThreadStore> {
  const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
  const { default: pg } = await import("pg");
  // Short timeouts: a PostgreSQL that is down must fail a thread request at once, not hold it.
  const pool = new pg.Pool({ connectionString: config.databaseUrl, connectionTimeoutMillis: 1_000, max: 10, idleTimeoutMillis: 30_000 });
  let reachable = false;
  pool.on("error", (error) => {
    if (reachable) logger.warn({ err: { message: error.message } }, "threads: PostgreSQL connection lost");
    reachable = false;
  });
  const saver = new PostgresSaver(pool, undefined, { schema: config.schema });
  let setUp: Promise<void> | undefined;
  const check = async () => {
    try {
      // Tables are created on first contact (and again after a failed attempt), not at start-up only.
      setUp ??= saver.setup().catch((error: unknown) => {
        setUp = undefined;
        throw error;
      });
      await setUp;
      await pool.query("SELECT 1");
      if (!reachable) logger.info("threads: PostgreSQL reachable");
      reachable = true;
    } catch (error) {
      if (reachable) logger.warn({ err: { message: (error as Error).message } }, "threads: PostgreSQL unreachable");
      reachable = false;
      throw new ThreadStoreUnavailableError(error);
    }
  };
  await check().catch(() => logger.warn("threads: PostgreSQL unreachable at start-up; thread routes answer 503 until it is back"));
  return {
    kind: "postgres",
    saver,
    check,
    // PostgreSQL's deleted tuples are unreachable at once and reclaimed by (auto)vacuum.
    scrub: async () => undefined,
    status: () => ({ kind: "postgres", reachable }),
    close: () => pool.end(),
  };
}
