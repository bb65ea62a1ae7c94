import type { Logger } from "pino";
import { SqliteFeedbackStore } from "./sqlite-store.js";
import type { FeedbackConfig, FeedbackStore } from "./types.js";

export const SWEEP_EVERY_MS = 3_600_000;

/**
 * The configured run log, or undefined when feedback is off. Expired runs are deleted now (a PostgreSQL that is
 * down only delays it) and then every `sweepEveryMs` (0: only now); closing the store stops the sweeps.
 */
export async function openFeedbackStore(
  config: FeedbackConfig,
  logger: Logger,
  options: { sweepEveryMs?: number; now?: () => number } = {},
): Promise<FeedbackStore | undefined> {
  if (config.backend === "off") return undefined;
  let store: FeedbackStore;
  if (config.backend === "postgres") {
    const { PostgresFeedbackStore } = await import("./postgres-store.js");
    store = new PostgresFeedbackStore(config.databaseUrl ?? "", config.schema, config.retentionMs, logger, options.now);
  } else {
    store = new SqliteFeedbackStore(config.sqlitePath, config.retentionMs, options.now);
  }
  const sweep = () =>
    store
      .sweep()
      .then((deleted) => {
        if (deleted > 0) logger.info({ deleted }, "feedback: expired runs deleted");
      })
      .catch(() => logger.warn("feedback: expiry sweep failed (store unreachable); retried later"));
  await sweep();
  const every = options.sweepEveryMs ?? SWEEP_EVERY_MS;
  if (every <= 0) return store;
  const timer = setInterval(() => void sweep(), every);
  timer.unref();
  return {
    kind: store.kind,
    recordRun: (run) => store.recordRun(run),
    rate: (ref, caller, feedback) => store.rate(ref, caller, feedback),
    list: (which) => store.list(which),
    runOutcomes: () => store.runOutcomes(),
    markReviewed: (ids, expected) => store.markReviewed(ids, expected),
    sweep: () => store.sweep(),
    close: () => {
      clearInterval(timer);
      return store.close();
    },
  };
}
