import { createRequire } from "node:module";

/** The part of better-sqlite3's Database that LangGraph's SqliteSaver and the thread store call. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(sql: string): unknown;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}

interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string) => {
    prepare(sql: string): SqliteStatement;
    exec(sql: string): void;
    close(): void;
  };
}

const require = createRequire(import.meta.url);

/**
 * Node's own `node:sqlite` where the runtime has it (Node 22.5 and later), better-sqlite3 on older runtimes.
 * better-sqlite3 12 aborts Node 24 processes when V8 collects a statement after the environment is gone
 * (`RemoveEnvironmentCleanupHook` assertion), and its version 13 does not run on Node 20: the built-in module
 * has neither problem.
 */
export function openSqliteDatabase(path: string): SqliteDatabase {
  const builtin = loadNodeSqlite();
  if (builtin) return wrapNodeSqlite(new builtin.DatabaseSync(path));
  const BetterSqlite = require("better-sqlite3") as new (path: string) => SqliteDatabase;
  return new BetterSqlite(path);
}

function loadNodeSqlite(): NodeSqliteModule | undefined {
  try {
    return silenceExperimentalWarning(() => require("node:sqlite") as NodeSqliteModule);
  } catch {
    return undefined;
  }
}

function wrapNodeSqlite(db: InstanceType<NodeSqliteModule["DatabaseSync"]>): SqliteDatabase {
  return {
    prepare: (sql) => bindUndefinedAsNull(db.prepare(sql)),
    exec: (sql) => db.exec(sql),
    pragma: (sql) => db.prepare(`PRAGMA ${sql}`).all(),
    transaction:
      (fn) =>
      (...args) => {
        db.exec("BEGIN");
        try {
          fn(...args);
          db.exec("COMMIT");
        } catch (error) {
          db.exec("ROLLBACK");
          throw error;
        }
      },
    close: () => db.close(),
  };
}

/** better-sqlite3 binds `undefined` as NULL (SqliteSaver relies on it); node:sqlite refuses it. */
function bindUndefinedAsNull(statement: SqliteStatement): SqliteStatement {
  const values = (params: unknown[]) => params.map((value) => (value === undefined ? null : value));
  return {
    run: (...params) => statement.run(...values(params)),
    get: (...params) => statement.get(...values(params)),
    all: (...params) => statement.all(...values(params)),
  };
}

/** Node prints "SQLite is an experimental feature" once per process on some versions; the module is the one wanted. */
function silenceExperimentalWarning<T>(load: () => T): T {
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite is an experimental feature/i.test(text)) return;
    (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = original;
  }
}
