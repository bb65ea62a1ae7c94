import { withLlm, type Capabilities } from "../../graphs/capabilities.js";
import { loadConfig } from "../../tools/config.js";
import { createLlmProvider, type LlmProvider } from "../../tools/llm/provider.js";
import type { LlmSettings } from "../../tools/llm/settings.js";
import { subsetCapabilities } from "./fixtures.js";
import type { ScriptedServer } from "./scripted-openai.js";

/** LLM settings pointing at the scripted server, with short back-off so tests stay fast. */
export function scriptedSettings(server: ScriptedServer, env: Record<string, string> = {}): LlmSettings {
  const config = loadConfig({
    OPENAI_API_KEY: "sk-test-not-a-secret",
    OPENAI_BASE_URL: server.url,
    OPENAI_MODEL: "scripted-model",
    GUICHET_LLM_BACKOFF_MS: "10",
    GUICHET_LLM_BACKOFF_MAX_MS: "40",
    GUICHET_LLM_PRICES: JSON.stringify({ "scripted-model": { input_per_1k: 0.5, output_per_1k: 2 } }),
    ...env,
  });
  return config.llm!;
}

export function scriptedProvider(server: ScriptedServer, env: Record<string, string> = {}): LlmProvider {
  return createLlmProvider(scriptedSettings(server, env))!;
}

/** The subset capabilities with the LLM roles on the scripted server. */
export function llmCapabilities(server: ScriptedServer, env: Record<string, string> = {}): Capabilities {
  return withLlm(subsetCapabilities(), scriptedProvider(server, env));
}

export const chatRequests = (server: ScriptedServer) => server.requests.filter((r) => r.path.endsWith("/chat/completions"));

/** Waits until the scripted server has seen `n` requests closed early by the client (or fails after `ms`). */
export async function waitForAborted(server: ScriptedServer, n = 1, ms = 2000): Promise<string[]> {
  const until = Date.now() + ms;
  while (server.aborted.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return server.aborted;
}
