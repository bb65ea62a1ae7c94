import type { Logger } from "pino";
import type { Capabilities } from "../../graphs/capabilities.js";
import type { AppConfig } from "../config.js";
import type { RedisConnection } from "../redis-connection.js";
import { AnswerCache } from "./answer-cache.js";
import type { CacheBackend } from "./backend.js";
import type { CachedAnswer } from "./cached-answer.js";
import { MemoryCacheBackend } from "./memory-backend.js";
import { cacheNamespace, offlineModelsDigest } from "./namespace.js";
import { RedisCacheBackend } from "./redis-backend.js";

/** The answerer part of the namespace: the offline models, or the answer model, its prompt and the translate model. */
export function answererId(capabilities: Capabilities, config: Pick<AppConfig, "llm">): string {
  if (capabilities.grounded && config.llm) {
    const { roles } = config.llm;
    return `llm:${roles.answer.model}:${capabilities.grounded.prompt.version}:${roles.translate.model}`;
  }
  return `extractive:${offlineModelsDigest()}`;
}

/**
 * IDF of a corpus term; 1 for a term the corpus does not have (a typo or a foreign word the thesaurus already
 * translated would otherwise weigh most and keep two wordings of one question apart).
 */
export function cacheTermWeight(index: { knows(term: string): boolean; termWeight(term: string): number }): (term: string) => number {
  return (term) => (index.knows(term) ? index.termWeight(term) : 1);
}

/** The configured answer cache over these capabilities, or undefined when it is off. */
export function createAnswerCache(
  config: Pick<AppConfig, "cache" | "llm" | "retrieval" | "rerank" | "topK" | "maxPerFiche">,
  capabilities: Capabilities,
  logger: Logger,
  redis?: RedisConnection,
): AnswerCache<CachedAnswer> | undefined {
  const settings = config.cache;
  if (settings.backend === "off") return undefined;
  const backend: CacheBackend<CachedAnswer> =
    settings.backend === "redis" && redis
      ? new RedisCacheBackend(redis, { prefix: settings.prefix, ttlMs: settings.ttlMs, logger })
      : new MemoryCacheBackend({ maxEntries: settings.maxEntries, maxBytes: settings.maxBytes, ttlMs: settings.ttlMs });
  const namespace = cacheNamespace({
    corpusVersion: capabilities.snapshot.version ?? capabilities.snapshot.date,
    answerer: answererId(capabilities, config),
    retrieval: { ...config.retrieval, rerank: config.rerank.kind, topK: config.topK, maxPerFiche: config.maxPerFiche },
  });
  const { lexical } = capabilities.search;
  return new AnswerCache(backend, {
    namespace,
    threshold: settings.threshold,
    lockMs: settings.lockMs,
    waitMs: settings.waitMs,
    termWeight: cacheTermWeight(lexical),
    // Typos are corrected as retrieval corrects them: «pasport» and «passeport» are one question.
    corrector: lexical.spelling,
  });
}
