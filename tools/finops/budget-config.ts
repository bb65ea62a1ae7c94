import { z } from "zod";
import { envProblems, withoutEmpty } from "./env-problems.js";

/** A daily limit in the price table's currency (`cost`) and/or in tokens (input + output); absent: no limit. */
export interface BudgetLimit {
  cost?: number;
  tokens?: number;
}

export interface BudgetConfig {
  /** All callers together. */
  global: BudgetLimit;
  /** Each key that has no entry in `keys`. */
  perKey: BudgetLimit;
  /** A key listed here has exactly these limits instead of `perKey` (`{}`: no per-key limit for it). */
  keys: Record<string, BudgetLimit>;
  /** Share of a limit at which the alert fires (0 < share ≤ 1). */
  alertShare: number;
}

export const DEFAULT_ALERT_SHARE = 0.8;

const cost = z.coerce.number({ error: "must be a positive number" }).positive("must be a positive number");
const tokens = z.coerce
  .number({ error: "must be a positive whole number of tokens" })
  .int("must be a positive whole number of tokens")
  .positive("must be a positive whole number of tokens");

const KeyLimitsSchema = z.record(
  z.string().min(1, "key names must not be empty"),
  z.strictObject({
    cost: z.number({ error: "must be a positive number" }).positive("must be a positive number").optional(),
    tokens: z
      .number({ error: "must be a positive whole number of tokens" })
      .int("must be a positive whole number of tokens")
      .positive("must be a positive whole number of tokens")
      .optional(),
  }),
  { error: "must be a JSON object: key name → {\"cost\"?: number, \"tokens\"?: number}" },
);

const KEYS_EXAMPLE = "must be JSON such as {\"portail-caf\":{\"cost\":5,\"tokens\":2000000}}";

const BudgetEnvSchema = z.object({
  GUICHET_BUDGET_GLOBAL_DAILY_COST: cost.optional(),
  GUICHET_BUDGET_GLOBAL_DAILY_TOKENS: tokens.optional(),
  GUICHET_BUDGET_KEY_DAILY_COST: cost.optional(),
  GUICHET_BUDGET_KEY_DAILY_TOKENS: tokens.optional(),
  GUICHET_BUDGET_KEYS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({ code: "custom", message: KEYS_EXAMPLE, input: text });
        return z.NEVER;
      }
    })
    .pipe(KeyLimitsSchema)
    .optional(),
  GUICHET_BUDGET_ALERT_SHARE: z.coerce
    .number({ error: "must be a number in (0, 1]" })
    .gt(0, "must be a number in (0, 1]")
    .max(1, "must be a number in (0, 1]")
    .default(DEFAULT_ALERT_SHARE),
});

const limit = (costValue: number | undefined, tokensValue: number | undefined): BudgetLimit => ({
  ...(costValue !== undefined ? { cost: costValue } : {}),
  ...(tokensValue !== undefined ? { tokens: tokensValue } : {}),
});

/** The GUICHET_BUDGET_* variables; throws an Error with one `VARIABLE: problem` line per bad value. */
export function parseBudgetConfig(env: Record<string, string | undefined>): BudgetConfig {
  const parsed = BudgetEnvSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) throw new Error(envProblems(parsed.error).join("\n  "));
  const e = parsed.data;
  return {
    global: limit(e.GUICHET_BUDGET_GLOBAL_DAILY_COST, e.GUICHET_BUDGET_GLOBAL_DAILY_TOKENS),
    perKey: limit(e.GUICHET_BUDGET_KEY_DAILY_COST, e.GUICHET_BUDGET_KEY_DAILY_TOKENS),
    keys: Object.fromEntries(Object.entries(e.GUICHET_BUDGET_KEYS ?? {}).map(([name, l]) => [name, limit(l.cost, l.tokens)])),
    alertShare: e.GUICHET_BUDGET_ALERT_SHARE,
  };
}
