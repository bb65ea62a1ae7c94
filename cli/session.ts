import { loadCapabilities, type Capabilities } from "../graphs/capabilities.js";
import { buildGraph, type GuichetGraph } from "../graphs/guichet.js";
import { runGuichet, type AskResponse, type RunOptions } from "../graphs/run.js";
import { loadConfig, type AppConfig } from "../tools/config.js";

/** What a command needs to answer questions: config, the index loaded once, and the graph. */
export interface Session {
  config: AppConfig;
  capabilities: Capabilities;
  graph: GuichetGraph;
  ask(question: string, language?: string, options?: Pick<RunOptions, "inspect">): Promise<AskResponse>;
}

export async function openSession(
  env: NodeJS.ProcessEnv,
  log: (message: string) => void,
  progress = false,
): Promise<Session> {
  const config = loadConfig(env);
  // Commands read the index as the user last built it; only the server insists on the configured sources.
  const capabilities = await loadCapabilities(config, log, { progress, keepExisting: true });
  const graph = buildGraph();
  return {
    config,
    capabilities,
    graph,
    ask: (question, language, options) =>
      runGuichet(graph, { question, ...(language ? { language } : {}) }, {
        capabilities,
        configuration: {
          topK: config.topK,
          maxPerFiche: config.maxPerFiche,
          maxQuestionLength: config.maxQuestionLength,
        },
        ...options,
      }),
  };
}
