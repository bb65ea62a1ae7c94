import { loadConfig } from "../../tools/config.js";
import { createLlmProvider } from "../../tools/llm/provider.js";
import { LlmClaimChecker } from "./llm-checker.js";
import { OfflineClaimChecker } from "./offline-checker.js";
import type { ClaimChecker } from "./types.js";

export const CHECKER_KINDS = ["offline", "llm", "auto"] as const;
export type CheckerKind = (typeof CHECKER_KINDS)[number];

/**
 * The judge's endpoint: GUICHET_JUDGE_API_KEY / GUICHET_JUDGE_BASE_URL when set (the judge may be another
 * provider than the answerer, or the only model when the answers are extractive), else OPENAI_API_KEY /
 * OPENAI_BASE_URL; the model is the `judge` role's (GUICHET_MODEL_JUDGE, else OPENAI_MODEL).
 */
export function judgeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const apiKey = env.GUICHET_JUDGE_API_KEY || env.OPENAI_API_KEY;
  const baseURL = env.GUICHET_JUDGE_BASE_URL || env.OPENAI_BASE_URL;
  return { ...env, ...(apiKey ? { OPENAI_API_KEY: apiKey } : {}), ...(baseURL ? { OPENAI_BASE_URL: baseURL } : {}) };
}

/** The claim checker asked for: offline, the LLM judge (an error without a key), or auto (the judge when a key is set). */
export function createChecker(kind: CheckerKind, env: NodeJS.ProcessEnv): ClaimChecker {
  if (kind === "offline") return new OfflineClaimChecker();
  const settings = loadConfig(judgeEnv(env)).llm;
  if (!settings) {
    if (kind === "auto") return new OfflineClaimChecker();
    throw new Error("the LLM judge needs GUICHET_JUDGE_API_KEY or OPENAI_API_KEY");
  }
  return new LlmClaimChecker(createLlmProvider(settings)!.chat("judge"));
}
