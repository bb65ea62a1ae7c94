import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { parseBudgetConfig, type BudgetConfig } from "./finops/budget-config.js";
import { parseUsageLogConfig, type UsageLogConfig } from "./finops/usage-log-config.js";
import { z } from "zod";
import { authSettings, type AuthConfig } from "./security-config.js";
import { parseSourceSpec, type SourceSpec } from "../corpus/select-source.js";
import { llmSettings, type LlmSettings } from "./llm/settings.js";
import { SEMANTIC_THRESHOLD, type CacheConfig } from "./cache/settings.js";
import type { AdmissionSettings } from "./llm/admission.js";
import type { ThreadsConfig } from "./threads/store.js";
import type { FeedbackConfig } from "./feedback/types.js";
import type { RemoteEmbeddingsConfig } from "./search/embeddings/remote.js";
import type { RemoteRerankerOptions } from "./search/rerank-remote.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const temperature = z.coerce.number().min(0).max(2).optional();

/** Every environment variable Guichet reads, with its default. Documented in docs/configuration.md. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  GUICHET_INDEX_DIR: z.string().min(1).default("data/index"),
  // Debian's dict-freedict-* packages; "off" turns the foreign word lists off (the glossary alone translates).
  GUICHET_FREEDICT_DIR: z.string().min(1).default("/usr/share/dictd"),
  // Debian's apertium-* language pairs into French (<lang>-fr.mode); "off" turns the machine translator off.
  GUICHET_APERTIUM_DIR: z.string().min(1).default("/usr/share/apertium/modes"),
  GUICHET_SOURCES: z.string().optional(),
  GUICHET_SOURCE: z.string().default("vdd-npm"),
  GUICHET_SOURCE_PATH: z.string().optional(),
  GUICHET_MAX_QUESTION_CHARS: positiveInt(500),
  GUICHET_TOP_K: positiveInt(10),
  // BM25 until a dense leg beats it on the dev split (see docs/benchmarks.md, retrieval ablation).
  GUICHET_RETRIEVAL: z.enum(["hybrid", "bm25", "dense"]).default("bm25"),
  GUICHET_RRF_K: positiveInt(60),
  GUICHET_CANDIDATES: positiveInt(100),
  GUICHET_DENSE_WEIGHT: z.coerce.number().min(0).max(10).default(0.3),
  GUICHET_EMBEDDINGS: z.enum(["lsa", "openai"]).default("lsa"),
  GUICHET_EMBEDDINGS_MODEL: z.string().min(1).default("text-embedding-3-small"),
  GUICHET_EMBEDDINGS_BASE_URL: z.url().optional(),
  GUICHET_EMBEDDINGS_API_KEY: z.string().optional(),
  GUICHET_EMBEDDINGS_DIMENSIONS: z.coerce.number().int().positive().optional(),
  GUICHET_EMBEDDINGS_BATCH: positiveInt(64),
  GUICHET_EMBEDDINGS_RETRIES: z.coerce.number().int().min(0).max(20).default(6),
  GUICHET_EMBEDDINGS_TIMEOUT_MS: positiveInt(30_000),
  GUICHET_RERANK: z.enum(["none", "fiche", "learned", "remote"]).default("learned"),
  GUICHET_RERANK_CANDIDATES: positiveInt(30),
  GUICHET_RERANK_BASE_URL: z.url().optional(),
  GUICHET_RERANK_MODEL: z.string().min(1).default("bge-reranker-v2-m3"),
  GUICHET_RERANK_API_KEY: z.string().optional(),
  GUICHET_RERANK_TIMEOUT_MS: positiveInt(2_000),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_API_KEY: z.string().optional(),
  GUICHET_MAX_PER_FICHE: positiveInt(2),
  GUICHET_REQUEST_TIMEOUT_MS: positiveInt(15_000),
  GUICHET_SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  OPENAI_MODEL: z.string().min(1).default("gpt-4o-mini"),
  GUICHET_MODEL_ANSWER: z.string().min(1).optional(),
  GUICHET_MODEL_TRANSLATE: z.string().min(1).optional(),
  GUICHET_MODEL_PLAN: z.string().min(1).optional(),
  GUICHET_MODEL_GUARD: z.string().min(1).optional(),
  GUICHET_MODEL_JUDGE: z.string().min(1).optional(),
  GUICHET_TEMPERATURE_ANSWER: temperature,
  GUICHET_TEMPERATURE_TRANSLATE: temperature,
  GUICHET_TEMPERATURE_PLAN: temperature,
  GUICHET_TEMPERATURE_GUARD: temperature,
  GUICHET_TEMPERATURE_JUDGE: temperature,
  GUICHET_MAX_TOKENS_ANSWER: z.coerce.number().int().positive().optional(),
  GUICHET_MAX_TOKENS_TRANSLATE: z.coerce.number().int().positive().optional(),
  GUICHET_MAX_TOKENS_PLAN: z.coerce.number().int().positive().optional(),
  GUICHET_MAX_TOKENS_GUARD: z.coerce.number().int().positive().optional(),
  GUICHET_MAX_TOKENS_JUDGE: z.coerce.number().int().positive().optional(),
  GUICHET_LLM_TIMEOUT_MS: positiveInt(8_000),
  GUICHET_LLM_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  GUICHET_LLM_BACKOFF_MS: positiveInt(200),
  GUICHET_LLM_BACKOFF_MAX_MS: positiveInt(2_000),
  GUICHET_LLM_RETRY_AFTER_MAX_MS: positiveInt(5_000),
  GUICHET_LLM_BREAKER_FAILURES: positiveInt(5),
  GUICHET_LLM_BREAKER_HALF_OPEN_MS: positiveInt(30_000),
  GUICHET_DEADLINE_MS: positiveInt(12_000),
  GUICHET_GUARD_LLM: z.enum(["true", "false"]).default("false"),
  // The bounded queue in front of LLM work (docs/cache.md, "Bursts").
  GUICHET_LLM_CONCURRENCY: positiveInt(8),
  GUICHET_LLM_QUEUE: z.coerce.number().int().min(0).default(32),
  GUICHET_LLM_QUEUE_MIN_REMAINING_MS: positiveInt(1_000),
  GUICHET_LLM_PRICES: z.string().optional(),
  // Tracing: the standard OpenTelemetry variables, read by the SDK itself (docs/observability.md); checked here.
  OTEL_SDK_DISABLED: z.enum(["true", "false"]).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(["http/protobuf", "http/json", "grpc"]).optional(),
  OTEL_TRACES_EXPORTER: z.string().regex(/^[a-z]+(,[a-z]+)*$/, "must be exporter names such as otlp, console or none").optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default("guichet"),
  GUICHET_TRACE_QUESTIONS: z.enum(["true", "false"]).default("false"),
  GUICHET_EXPERIMENT_FILE: z.string().min(1).optional(),
  // Metrics (GET /metrics).
  GUICHET_METRICS: z.enum(["true", "false"]).default("true"),
  GUICHET_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces").optional(),
  // Security (docs/security.md); read by tools/security-config.ts.
  GUICHET_AUTH: z.enum(["on", "off", "optional"]).optional(),
  GUICHET_API_KEYS: z.string().optional(),
  GUICHET_API_KEYS_FILE: z.string().optional(),
  GUICHET_JWT_SECRET: z.string().min(32, "must be at least 32 characters (256 bits) for HS256").optional(),
  GUICHET_JWT_JWKS_FILE: z.string().optional(),
  GUICHET_JWT_JWKS_URL: z.url().optional(),
  GUICHET_JWT_ISSUER: z.string().min(1).optional(),
  GUICHET_JWT_AUDIENCE: z.string().min(1).optional(),
  GUICHET_JWT_SCOPE: z.string().regex(/^\S+$/, "must be one scope name without spaces").optional(),
  GUICHET_RATE_LIMIT_PER_MINUTE: positiveInt(10),
  GUICHET_REDIS_URL: z.url().optional(),
  GUICHET_RATE_LIMIT_PREFIX: z.string().min(1).default("guichet:rl:"),
  // Answer cache (docs/cache.md): "redis" needs GUICHET_REDIS_URL; default redis when it is set, else memory.
  GUICHET_CACHE: z.enum(["memory", "redis", "off"]).optional(),
  GUICHET_CACHE_TTL_S: positiveInt(86_400),
  GUICHET_CACHE_MAX_ENTRIES: positiveInt(10_000),
  GUICHET_CACHE_MAX_MB: positiveInt(64),
  GUICHET_CACHE_PREFIX: z.string().min(1).default("guichet:cache:"),
  GUICHET_CACHE_SEMANTIC_THRESHOLD: z
    .union([z.literal("off"), z.coerce.number().gt(0, "must be in (0, 1] or off").max(1, "must be in (0, 1] or off")])
    .default(SEMANTIC_THRESHOLD),
  GUICHET_CACHE_LOCK_MS: positiveInt(30_000),
  GUICHET_CACHE_WAIT_MS: positiveInt(10_000),
  // Conversations (docs/conversations.md): PostgreSQL when DATABASE_URL is set, else a SQLite file.
  GUICHET_THREADS: z.enum(["sqlite", "postgres", "off"]).optional(),
  DATABASE_URL: z.url().optional(),
  GUICHET_THREADS_SQLITE: z.string().min(1).default("data/threads.sqlite"),
  GUICHET_THREADS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier").default("guichet"),
  GUICHET_THREAD_RETENTION_DAYS: positiveInt(30),
  // Ratings of answers (docs/feedback.md): a SQLite file unless "postgres" (with DATABASE_URL) is asked for.
  GUICHET_FEEDBACK: z.enum(["sqlite", "postgres", "off"]).default("sqlite"),
  GUICHET_FEEDBACK_SQLITE: z.string().min(1).default("data/feedback.sqlite"),
  GUICHET_FEEDBACK_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier").default("guichet_feedback"),
  GUICHET_FEEDBACK_RETENTION_DAYS: positiveInt(30),
  GUICHET_CORS_ORIGINS: z.string().optional(),
  // The chat page at GET / (docs/web.md); DSFR is used when its package is installed (an optional dependency).
  GUICHET_WEB: z.enum(["on", "off"]).default("on"),
  GUICHET_WEB_DSFR_DIR: z.string().min(1).optional(),
  GUICHET_CORS_CREDENTIALS: z.enum(["true", "false"]).default("false"),
  // Which proxies in front may say who the client is (X-Forwarded-For): a hop count or addresses (docs/security.md).
  GUICHET_TRUST_PROXY: z.string().optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface AppConfig {
  env: Env["NODE_ENV"];
  port: number;
  host: string;
  logLevel: Env["LOG_LEVEL"];
  indexDir: string;
  /** Folder of FreeDict dictionaries read at ingest time ("" = none). */
  freedictDir: string;
  /** Folder of Apertium modes used to translate questions into French ("" = none). */
  apertiumDir: string;
  /** The knowledge base's sources, in priority order (a fiche id is taken by the first source that has it). */
  sources: SourceSpec[];
  maxQuestionLength: number;
  topK: number;
  maxPerFiche: number;
  retrieval: {
    mode: Env["GUICHET_RETRIEVAL"];
    rrfK: number;
    candidates: number;
    denseWeight: number;
    rerankCandidates: number;
  };
  /** The re-ranking stage: none, the offline whole-fiche BM25 fusion, the offline learned model, or a /rerank endpoint. */
  rerank: { kind: "none" } | { kind: "fiche" } | { kind: "learned" } | ({ kind: "remote" } & RemoteRerankerOptions);
  /** The dense leg's model: the offline LSA, or an OpenAI-compatible /embeddings endpoint. */
  embeddings: { kind: "lsa" } | ({ kind: "openai" } & RemoteEmbeddingsConfig);
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** The OTEL_* variables, as the SDK reads them (server/telemetry.ts). */
  otel: Record<string, string>;
  /** Put the guard's redacted question on the run span (`guichet.question`). */
  traceQuestions: boolean;
  /** An A/B experiment file (tools/experiments/experiment.ts); absent: no experiment. */
  experimentFile?: string;
  /** Daily LLM budgets and the usage log (docs/finops.md). */
  finops: { budgets: BudgetConfig; usageLog: UsageLogConfig };
  /** Prometheus metrics: recorded and served at /metrics, behind a bearer token when one is set. */
  metrics: { enabled: boolean; token?: string };
  auth: AuthConfig;
  /** Requests per minute per caller; shared through Redis when `redisUrl` is set, per process otherwise. */
  rateLimit: { perMinute: number; redisUrl?: string; prefix: string };
  cache: CacheConfig;
  llmQueue: AdmissionSettings;
  threads: ThreadsConfig;
  /** The run log and the ratings of answers (`POST /feedback`). */
  feedback: FeedbackConfig;
  /** Origins allowed to call from a browser (empty: no CORS headers at all). */
  cors: { origins: string[]; credentials: boolean };
  /** The proxies whose X-Forwarded-For names the client (rate limits per address); false: none, the socket's peer is. */
  trustProxy: TrustProxy;
  /** The chat page: served at `/` when enabled, on DSFR's files when `dsfrDir` is set (else the neutral theme). */
  web: { enabled: boolean; dsfrDir?: string };
  /** The LLM roles' endpoint and models; absent without OPENAI_API_KEY (offline paths only). */
  llm?: LlmSettings;
  /** Whether the guard asks the LLM's `guard` role about questions its rules let through. */
  guardLlm: boolean;
}

/**
 * Sources from GUICHET_SOURCES (comma-separated specs such as `vdd-npm,vdd-npm:professionnels,vdd-xml=/data/xml`),
 * or the single-source shorthand GUICHET_SOURCE (+ GUICHET_SOURCE_PATH for XML); the npm snapshot by default.
 */
function sourceSpecs(env: Record<string, string | undefined>): SourceSpec[] {
  if (env.GUICHET_SOURCES) {
    try {
      return env.GUICHET_SOURCES.split(",").filter((s) => s.trim() !== "").map(parseSourceSpec);
    } catch (error) {
      throw new Error(`GUICHET_SOURCES: ${(error as Error).message}`, { cause: error });
    }
  }
  const kind = env.GUICHET_SOURCE ?? "vdd-npm";
  try {
    return [parseSourceSpec(env.GUICHET_SOURCE_PATH ? `${kind}=${env.GUICHET_SOURCE_PATH}` : kind)];
  } catch (error) {
    if (/needs a /.test((error as Error).message) && !env.GUICHET_SOURCE_PATH) {
      throw new Error(`GUICHET_SOURCE_PATH: required when GUICHET_SOURCE=${kind}`, { cause: error });
    }
    throw new Error(`GUICHET_SOURCE: ${(error as Error).message}`, { cause: error });
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Reads and validates the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = EnvSchema.safeParse(cleaned);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  // Checked apart from the schema so that they are reported together with the other bad variables.
  let sources: SourceSpec[] = [];
  try {
    sources = sourceSpecs(cleaned);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const apiKey = cleaned.GUICHET_EMBEDDINGS_API_KEY ?? cleaned.OPENAI_API_KEY;
  if (cleaned.GUICHET_EMBEDDINGS === "openai" && !apiKey) {
    problems.push("GUICHET_EMBEDDINGS_API_KEY: required (or OPENAI_API_KEY) when GUICHET_EMBEDDINGS=openai");
  }
  if (cleaned.GUICHET_RERANK === "remote" && !cleaned.GUICHET_RERANK_BASE_URL) {
    problems.push("GUICHET_RERANK_BASE_URL: required when GUICHET_RERANK=remote");
  }
  let auth: AuthConfig | undefined;
  let llm: LlmSettings | undefined;
  let finops: AppConfig["finops"] | undefined;
  try {
    finops = { budgets: parseBudgetConfig(cleaned), usageLog: parseUsageLogConfig(cleaned) };
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (parsed.success) {
    try {
      auth = authSettings(parsed.data);
    } catch (error) {
      problems.push((error as Error).message);
    }
    try {
      llm = llmSettings(parsed.data);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const corsOrigins = (cleaned.GUICHET_CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
  for (const origin of corsOrigins) {
    if (origin !== "*" && !/^https?:\/\/[^/\s,]+$/.test(origin)) {
      problems.push(`GUICHET_CORS_ORIGINS: "${origin}" is not an origin such as https://example.fr (scheme and host, no path)`);
    }
  }
  if (cleaned.GUICHET_THREADS === "postgres" && !cleaned.DATABASE_URL) {
    problems.push("GUICHET_THREADS: \"postgres\" needs DATABASE_URL (or use \"sqlite\")");
  }
  if (cleaned.GUICHET_FEEDBACK === "postgres" && !cleaned.DATABASE_URL) {
    problems.push("GUICHET_FEEDBACK: \"postgres\" needs DATABASE_URL (or use \"sqlite\" or \"off\")");
  }
  if (cleaned.GUICHET_CACHE === "redis" && !cleaned.GUICHET_REDIS_URL) {
    problems.push("GUICHET_CACHE: \"redis\" needs GUICHET_REDIS_URL (or use \"memory\")");
  }
  const trustProxy = trustProxyOf(cleaned.GUICHET_TRUST_PROXY);
  if (typeof trustProxy === "string" && trustProxy.startsWith("!")) problems.push(trustProxy.slice(1));
  const dsfrDir = webDsfrDir(cleaned.GUICHET_WEB_DSFR_DIR);
  if (cleaned.GUICHET_WEB_DSFR_DIR && !dsfrDir) {
    problems.push(`GUICHET_WEB_DSFR_DIR: no dsfr.min.css in "${cleaned.GUICHET_WEB_DSFR_DIR}" (the dist folder of @gouvfr/dsfr)`);
  }
  if (corsOrigins.includes("*") && cleaned.GUICHET_CORS_CREDENTIALS === "true") {
    problems.push("GUICHET_CORS_ORIGINS: the wildcard \"*\" cannot be used with GUICHET_CORS_CREDENTIALS=true; list the origins");
  }
  if (!parsed.success || problems.length > 0 || !auth) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    indexDir: resolve(e.GUICHET_INDEX_DIR),
    freedictDir: e.GUICHET_FREEDICT_DIR === "off" ? "" : e.GUICHET_FREEDICT_DIR,
    apertiumDir: e.GUICHET_APERTIUM_DIR === "off" ? "" : e.GUICHET_APERTIUM_DIR,
    sources,
    maxQuestionLength: e.GUICHET_MAX_QUESTION_CHARS,
    topK: e.GUICHET_TOP_K,
    embeddings:
      e.GUICHET_EMBEDDINGS === "openai"
        ? {
            kind: "openai",
            apiKey: apiKey!,
            model: e.GUICHET_EMBEDDINGS_MODEL,
            ...(e.GUICHET_EMBEDDINGS_BASE_URL || e.OPENAI_BASE_URL
              ? { baseURL: e.GUICHET_EMBEDDINGS_BASE_URL ?? e.OPENAI_BASE_URL }
              : {}),
            ...(e.GUICHET_EMBEDDINGS_DIMENSIONS ? { dimensions: e.GUICHET_EMBEDDINGS_DIMENSIONS } : {}),
            batchSize: e.GUICHET_EMBEDDINGS_BATCH,
            maxRetries: e.GUICHET_EMBEDDINGS_RETRIES,
            timeoutMs: e.GUICHET_EMBEDDINGS_TIMEOUT_MS,
          }
        : { kind: "lsa" },
    retrieval: {
      mode: e.GUICHET_RETRIEVAL,
      rrfK: e.GUICHET_RRF_K,
      candidates: e.GUICHET_CANDIDATES,
      denseWeight: e.GUICHET_DENSE_WEIGHT,
      rerankCandidates: e.GUICHET_RERANK_CANDIDATES,
    },
    rerank:
      e.GUICHET_RERANK === "remote"
        ? {
            kind: "remote",
            baseUrl: e.GUICHET_RERANK_BASE_URL!,
            model: e.GUICHET_RERANK_MODEL,
            ...(e.GUICHET_RERANK_API_KEY ? { apiKey: e.GUICHET_RERANK_API_KEY } : {}),
            timeoutMs: e.GUICHET_RERANK_TIMEOUT_MS,
          }
        : { kind: e.GUICHET_RERANK },
    maxPerFiche: e.GUICHET_MAX_PER_FICHE,
    requestTimeoutMs: e.GUICHET_REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: e.GUICHET_SHUTDOWN_TIMEOUT_MS,
    otel: { ...otelVariables(env), OTEL_SERVICE_NAME: e.OTEL_SERVICE_NAME },
    traceQuestions: e.GUICHET_TRACE_QUESTIONS === "true",
    ...(e.GUICHET_EXPERIMENT_FILE ? { experimentFile: e.GUICHET_EXPERIMENT_FILE } : {}),
    finops: finops!,
    metrics: { enabled: e.GUICHET_METRICS === "true", ...(e.GUICHET_METRICS_TOKEN ? { token: e.GUICHET_METRICS_TOKEN } : {}) },
    auth,
    rateLimit: {
      perMinute: e.GUICHET_RATE_LIMIT_PER_MINUTE,
      ...(e.GUICHET_REDIS_URL ? { redisUrl: e.GUICHET_REDIS_URL } : {}),
      prefix: e.GUICHET_RATE_LIMIT_PREFIX,
    },
    cache: {
      backend: e.GUICHET_CACHE ?? (e.GUICHET_REDIS_URL ? "redis" : "memory"),
      ttlMs: e.GUICHET_CACHE_TTL_S * 1000,
      maxEntries: e.GUICHET_CACHE_MAX_ENTRIES,
      maxBytes: e.GUICHET_CACHE_MAX_MB * 1024 * 1024,
      prefix: e.GUICHET_CACHE_PREFIX,
      threshold: e.GUICHET_CACHE_SEMANTIC_THRESHOLD === "off" ? null : e.GUICHET_CACHE_SEMANTIC_THRESHOLD,
      lockMs: e.GUICHET_CACHE_LOCK_MS,
      waitMs: e.GUICHET_CACHE_WAIT_MS,
    },
    threads: {
      backend: e.GUICHET_THREADS ?? (e.DATABASE_URL ? "postgres" : "sqlite"),
      sqlitePath: e.GUICHET_THREADS_SQLITE === ":memory:" ? ":memory:" : resolve(e.GUICHET_THREADS_SQLITE),
      ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
      schema: e.GUICHET_THREADS_SCHEMA,
      retentionMs: e.GUICHET_THREAD_RETENTION_DAYS * 86_400_000,
    },
    feedback: {
      backend: e.GUICHET_FEEDBACK,
      sqlitePath: e.GUICHET_FEEDBACK_SQLITE === ":memory:" ? ":memory:" : resolve(e.GUICHET_FEEDBACK_SQLITE),
      ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
      schema: e.GUICHET_FEEDBACK_SCHEMA,
      retentionMs: e.GUICHET_FEEDBACK_RETENTION_DAYS * 86_400_000,
    },
    llmQueue: {
      concurrency: e.GUICHET_LLM_CONCURRENCY,
      queueLength: e.GUICHET_LLM_QUEUE,
      minRemainingMs: e.GUICHET_LLM_QUEUE_MIN_REMAINING_MS,
    },
    cors: { origins: corsOrigins, credentials: e.GUICHET_CORS_CREDENTIALS === "true" },
    trustProxy: trustProxy as TrustProxy,
    web: { enabled: e.GUICHET_WEB === "on", ...(dsfrDir ? { dsfrDir } : {}) },
    ...(llm ? { llm } : {}),
    guardLlm: e.GUICHET_GUARD_LLM === "true",
  };
}

/** Express's `trust proxy`: false, a number of hops, or a list of addresses, CIDR ranges and Express's names. */
export type TrustProxy = false | number | string;
const PROXY_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/** GUICHET_TRUST_PROXY read; a string starting with "!" is what is wrong with it. */
function trustProxyOf(value: string | undefined): TrustProxy {
  if (value === undefined || value === "false" || value === "0") return false;
  if (/^[1-9]$/.test(value)) return Number(value);
  const items = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  const bad = items.filter((item) => {
    if (PROXY_NAMES.has(item)) return false;
    const [address, bits, extra] = item.split("/");
    const family = isIP(address ?? "");
    if (family === 0 || extra !== undefined) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (items.length === 0 || bad.length > 0) {
    return `!GUICHET_TRUST_PROXY: ${bad.length ? `"${bad.join('", "')}" ` : ""}must be false, a hop count from 1 to 9, or addresses, CIDR ranges, loopback, linklocal or uniquelocal, comma-separated (not "true": any client could then choose its address)`;
  }
  return items.join(",");
}

/** DSFR's dist folder: the one named, else the installed package's; undefined when it holds no stylesheet. */
function webDsfrDir(named: string | undefined): string | undefined {
  const dir = resolve(named ?? "node_modules/@gouvfr/dsfr/dist");
  return existsSync(join(dir, "dsfr.min.css")) ? dir : undefined;
}

/** The OTEL_* variables that are set, for the SDK. */
function otelVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith("OTEL_") && entry[1] !== undefined));
}
