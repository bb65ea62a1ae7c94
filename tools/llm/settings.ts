import type { Env } from "../config.js";
import { parsePrices, type PriceTable } from "./usage.js";

/** What each LLM role does: answer (grounded reply), translate, plan (split questions), guard, judge (evals). */
export const ROLES = ["answer", "translate", "plan", "guard", "judge"] as const;
export type Role = (typeof ROLES)[number];

export interface RoleSettings {
  model: string;
  temperature: number;
  maxTokens: number;
}

export interface ResilienceSettings {
  /** Longest single HTTP call, in milliseconds. */
  callTimeoutMs: number;
  /** Retries after the first attempt (429, 5xx, network errors, timeouts only). */
  retries: number;
  backoffMs: number;
  backoffMaxMs: number;
  /** A `Retry-After` longer than this is cut to it. */
  retryAfterMaxMs: number;
  /** Consecutive failures that open an endpoint's breaker. */
  breakerFailures: number;
  /** Time an open breaker waits before letting one trial call through. */
  halfOpenAfterMs: number;
}

export interface LlmSettings {
  apiKey: string;
  baseURL?: string;
  roles: Record<Role, RoleSettings>;
  resilience: ResilienceSettings;
  /** Longest a whole request may wait on LLM calls, in milliseconds. */
  deadlineMs: number;
  prices: PriceTable;
}

/** Sober, mostly deterministic roles; the answer gets room for a few cited paragraphs. */
const ROLE_DEFAULTS: Record<Role, Omit<RoleSettings, "model">> = {
  answer: { temperature: 0.1, maxTokens: 700 },
  translate: { temperature: 0, maxTokens: 900 },
  plan: { temperature: 0, maxTokens: 300 },
  guard: { temperature: 0, maxTokens: 50 },
  judge: { temperature: 0, maxTokens: 400 },
};

const upper = (role: Role) => role.toUpperCase() as Uppercase<Role>;

/** The LLM settings from validated env vars; undefined without OPENAI_API_KEY. */
export function llmSettings(e: Env): LlmSettings | undefined {
  if (!e.OPENAI_API_KEY) return undefined;
  const roles = Object.fromEntries(
    ROLES.map((role) => [
      role,
      {
        model: e[`GUICHET_MODEL_${upper(role)}`] ?? e.OPENAI_MODEL,
        temperature: e[`GUICHET_TEMPERATURE_${upper(role)}`] ?? ROLE_DEFAULTS[role].temperature,
        maxTokens: e[`GUICHET_MAX_TOKENS_${upper(role)}`] ?? ROLE_DEFAULTS[role].maxTokens,
      },
    ]),
  ) as Record<Role, RoleSettings>;
  let prices: PriceTable;
  try {
    prices = parsePrices(e.GUICHET_LLM_PRICES);
  } catch (error) {
    throw new Error(`GUICHET_LLM_PRICES: ${(error as Error).message}`, { cause: error });
  }
  return {
    apiKey: e.OPENAI_API_KEY,
    ...(e.OPENAI_BASE_URL ? { baseURL: e.OPENAI_BASE_URL } : {}),
    roles,
    resilience: {
      callTimeoutMs: e.GUICHET_LLM_TIMEOUT_MS,
      retries: e.GUICHET_LLM_RETRIES,
      backoffMs: e.GUICHET_LLM_BACKOFF_MS,
      backoffMaxMs: e.GUICHET_LLM_BACKOFF_MAX_MS,
      retryAfterMaxMs: e.GUICHET_LLM_RETRY_AFTER_MAX_MS,
      breakerFailures: e.GUICHET_LLM_BREAKER_FAILURES,
      halfOpenAfterMs: e.GUICHET_LLM_BREAKER_HALF_OPEN_MS,
    },
    deadlineMs: e.GUICHET_DEADLINE_MS,
    prices,
  };
}
