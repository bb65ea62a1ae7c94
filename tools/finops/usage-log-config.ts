import { z } from "zod";
import { envProblems, withoutEmpty } from "./env-problems.js";
import { DEFAULT_USAGE_RETENTION_DAYS } from "./usage-log.js";

export const DEFAULT_USAGE_LOG_DIR = "data/usage";

export interface UsageLogConfig {
  /** null: the usage log is off (GUICHET_USAGE_LOG_DIR=off). */
  dir: string | null;
  retentionDays: number;
}

const UsageLogEnvSchema = z.object({
  GUICHET_USAGE_LOG_DIR: z.string().min(1).default(DEFAULT_USAGE_LOG_DIR),
  GUICHET_USAGE_RETENTION_DAYS: z.coerce
    .number({ error: "must be a positive whole number of days" })
    .int("must be a positive whole number of days")
    .positive("must be a positive whole number of days")
    .default(DEFAULT_USAGE_RETENTION_DAYS),
});

/** GUICHET_USAGE_LOG_DIR and GUICHET_USAGE_RETENTION_DAYS; throws an Error naming each bad variable. */
export function parseUsageLogConfig(env: Record<string, string | undefined>): UsageLogConfig {
  const parsed = UsageLogEnvSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) throw new Error(envProblems(parsed.error).join("\n  "));
  const e = parsed.data;
  return { dir: e.GUICHET_USAGE_LOG_DIR === "off" ? null : e.GUICHET_USAGE_LOG_DIR, retentionDays: e.GUICHET_USAGE_RETENTION_DAYS };
}
