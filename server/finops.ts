import type { Logger } from "pino";
import type { RunAccounting } from "../graphs/accounting.js";
import type { AppConfig } from "../tools/config.js";
import { Budgets } from "../tools/finops/budgets.js";
import { MemorySpendStore } from "../tools/finops/spend-store.js";
import { RedisSpendStore } from "../tools/finops/spend-store-redis.js";
import { cachedRunEntry, usageEntries } from "../tools/finops/usage-entry.js";
import { UsageLog } from "../tools/finops/usage-log.js";
import type { RedisConnection } from "../tools/redis-connection.js";

export interface FinOps {
  accounting: RunAccounting;
  /** The gauges' view of the budgets (absent when none is configured). */
  budgetStatus?: () => { alertShare: number; status: Array<{ scope: string; unit: string; spent: number; limit: number }> };
  close(): Promise<void>;
}

/**
 * Budgets (shared through Redis when it is configured, else counted per process) and the usage log, as the
 * runs use them. Nothing here ever fails a request: a failing store lets callers through, a failing log drops
 * lines; both say so in the logs.
 */
export function createFinOps(config: AppConfig, logger: Logger, redis?: RedisConnection): FinOps | undefined {
  const { budgets: limits, usageLog: logConfig } = config.finops;
  const budgets = new Budgets(limits, {
    store: redis ? new RedisSpendStore(redis) : new MemorySpendStore(),
    onShareCrossed: (scope, unit, share) =>
      logger.warn({ scope, unit, share: Math.round(share * 1000) / 1000, alert_share: limits.alertShare }, "budget: alert share reached"),
    onExceeded: (scope, unit) => logger.warn({ scope, unit }, "budget: daily budget spent; LLM answers are extractive until midnight UTC"),
    onStoreError: (error) => logger.warn({ err: error.message }, "budget: spend store unreachable; budgets not enforced meanwhile"),
  });
  const usageLog = logConfig.dir
    ? new UsageLog({
        dir: logConfig.dir,
        retentionDays: logConfig.retentionDays,
        onError: (error) => logger.warn({ err: error.message, dir: logConfig.dir }, "usage log: write failed; lines kept in memory and retried"),
      })
    : undefined;
  if (!budgets.enabled && !usageLog) return undefined;
  logger.info(
    { budgets: budgets.enabled, usage_log: logConfig.dir ?? "off", retention_days: logConfig.retentionDays },
    budgets.enabled ? "daily LLM budgets on" : "daily LLM budgets off",
  );
  const accounting: RunAccounting = {
    overBudget: (caller) => (budgets.enabled ? budgets.exceeded(caller) : Promise.resolve(false)),
    charge(caller, usage, cached) {
      const now = new Date();
      usageLog?.append(cached && usage.length === 0 ? [cachedRunEntry(caller, now)] : usageEntries(caller, usage, now));
      if (!budgets.enabled || usage.length === 0) return;
      const cost = usage.reduce((sum, u) => sum + u.cost, 0);
      const tokens = usage.reduce((sum, u) => sum + u.input_tokens + u.output_tokens, 0);
      budgets.record(caller, cost, tokens).catch(() => undefined);
    },
  };
  return {
    accounting,
    ...(budgets.enabled ? { budgetStatus: () => ({ alertShare: budgets.alertShare, status: budgets.status() }) } : {}),
    close: async () => {
      await usageLog?.close();
    },
  };
}
