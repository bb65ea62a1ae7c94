import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { makeReranker, type Capabilities } from "../../graphs/capabilities.js";
import type { GuichetConfiguration } from "../../graphs/configuration.js";
import { GroundedAnswerer } from "../answer/grounded.js";
import { loadPrompt } from "../answer/prompt.js";
import { AnswerCache } from "../cache/answer-cache.js";
import { Retriever } from "../search/retriever.js";
import type { Experiment, VariantConfig } from "./experiment.js";

/** A variant ready to run: the capabilities and the tunables its runs use. */
export interface PreparedVariant {
  name: string;
  capabilities: Capabilities;
  configuration: Partial<GuichetConfiguration>;
}

/**
 * The deployment's capabilities changed as a variant says, built once at start-up: another retriever over the
 * same index (mode, RRF k, re-ranker), the extractive or LLM answerer, another answer prompt, the answer cache
 * off or in a namespace of its own (a variant never serves another variant's answers). A variant the deployment
 * cannot run (hybrid without a dense index, an LLM answer without a key) fails here, not at its first question.
 */
export function prepareVariant(name: string, config: VariantConfig, base: Capabilities): PreparedVariant {
  const capabilities: Capabilities = { ...base };
  const search = base.search;
  if (config.retrieval !== undefined || config.rrf_k !== undefined || config.rerank !== undefined) {
    const mode = config.retrieval ?? search.options.mode;
    if (config.retrieval !== undefined && mode !== "bm25" && !search.dense) throw new Error(`variant ${name}: ${mode} retrieval needs the dense index (npm run ingest -- --dense)`);
    const reranker = config.rerank === undefined ? search.reranker : makeReranker(search.lexical, { kind: config.rerank });
    if (config.rerank !== undefined && config.rerank !== "none" && !reranker) throw new Error(`variant ${name}: the ${config.rerank} re-ranker needs the whole-fiche index`);
    capabilities.search = new Retriever(search.lexical, search.dense, { ...search.options, mode, ...(config.rrf_k !== undefined ? { rrfK: config.rrf_k } : {}) }, reranker);
  }
  if (config.answerer === "extractive") {
    if (config.prompt !== undefined) throw new Error(`variant ${name}: a prompt is for the llm answerer, not the extractive one`);
    delete capabilities.grounded;
  }
  if ((config.answerer === "llm" || config.prompt !== undefined) && !base.grounded) {
    throw new Error(`variant ${name}: an LLM answer needs OPENAI_API_KEY`);
  }
  if (config.prompt !== undefined) {
    const grounded = base.grounded!;
    capabilities.grounded = new GroundedAnswerer(grounded.chat, loadPrompt(fileURLToPath(new URL(`../../prompts/${config.prompt}.md`, import.meta.url))), grounded.maxPassages);
  }
  if (config.cache === false) delete capabilities.answerCache;
  else if (base.answerCache) {
    const namespace = createHash("sha256").update(`${base.answerCache.options.namespace}\nvariant:${name}\n${JSON.stringify(config)}`).digest("hex").slice(0, 16);
    capabilities.answerCache = new AnswerCache(base.answerCache.backend, { ...base.answerCache.options, namespace });
  }
  return { name, capabilities, configuration: config.top_k !== undefined ? { topK: config.top_k } : {} };
}

/** Every variant of an experiment, prepared; and the one a unit (thread id or API key name) gets. */
export class ExperimentRunner {
  readonly variants: Map<string, PreparedVariant>;

  constructor(
    readonly experiment: Experiment,
    base: Capabilities,
    private readonly assign: (experiment: Experiment, unit: string) => string,
  ) {
    this.variants = new Map(Object.entries(experiment.variants).map(([name, v]) => [name, prepareVariant(name, v.config, base)]));
  }

  variantOf(unit: string): PreparedVariant {
    return this.variants.get(this.assign(this.experiment, unit))!;
  }
}
