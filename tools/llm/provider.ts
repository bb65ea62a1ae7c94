import { ChatOpenAI } from "@langchain/openai";
import { ResilientChat } from "./chat.js";
import { Resilience, type BreakerState } from "./resilience.js";
import { ROLES, type LlmSettings, type Role } from "./settings.js";

export const DEFAULT_ENDPOINT = "https://api.openai.com/v1";

/** The configured LLM roles: one resilient chat model per role, one breaker per endpoint. */
export interface LlmProvider {
  readonly endpoint: string;
  readonly deadlineMs: number;
  readonly settings: LlmSettings;
  chat(role: Role): ResilientChat;
  /** The endpoint's circuit breaker: "closed" (calls go through), "open", "half_open" or "isolated". */
  breakerState(): BreakerState;
  /** Every endpoint's breaker (by host), for the `guichet_llm_breaker_state` gauge. */
  breakerStates(): Array<{ endpoint: string; state: BreakerState }>;
}

/**
 * Chat models for any OpenAI-compatible endpoint, or null without a key (the offline paths are used).
 * The SDK's own retries are off: the resilience layer decides.
 */
export function createLlmProvider(settings: LlmSettings | undefined, resilience?: Resilience): LlmProvider | null {
  if (!settings) return null;
  const endpoint = settings.baseURL ?? DEFAULT_ENDPOINT;
  const shared = resilience ?? new Resilience(settings.resilience);
  const chats = new Map<Role, ResilientChat>(
    ROLES.map((role) => {
      const roleSettings = settings.roles[role];
      const model = new ChatOpenAI({
        model: roleSettings.model,
        temperature: roleSettings.temperature,
        maxTokens: roleSettings.maxTokens,
        apiKey: settings.apiKey,
        maxRetries: 0,
        streamUsage: true,
        configuration: { baseURL: endpoint },
      });
      return [role, new ResilientChat(role, roleSettings, model, endpoint, shared, settings.prices)];
    }),
  );
  return {
    endpoint,
    deadlineMs: settings.deadlineMs,
    settings,
    chat: (role) => chats.get(role)!,
    breakerState: () => shared.stateOf(endpoint),
    breakerStates: () => {
      shared.breaker(endpoint);
      return shared.breakerStates();
    },
  };
}
