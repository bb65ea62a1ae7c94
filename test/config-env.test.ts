import { resolve } from "node:path";
import { SEMANTIC_THRESHOLD } from "../tools/cache/settings.js";
import { ConfigError, loadConfig } from "../tools/config.js";

/** The ConfigError thrown for `env` (fails the test when none is thrown). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  it("has a default for every variable", () => {
    expect(loadConfig({})).toEqual({
      env: "development",
      port: 3000,
      host: "127.0.0.1",
      logLevel: "info",
      indexDir: resolve("data/index"),
      freedictDir: "/usr/share/dictd",
      apertiumDir: "/usr/share/apertium/modes",
      sources: [{ kind: "vdd-npm" }],
      maxQuestionLength: 500,
      topK: 10,
      maxPerFiche: 2,
      retrieval: { mode: "bm25", rrfK: 60, candidates: 100, denseWeight: 0.3, rerankCandidates: 30 },
      rerank: { kind: "learned" },
      embeddings: { kind: "lsa" },
      requestTimeoutMs: 15_000,
      shutdownTimeoutMs: 10_000,
      otel: { OTEL_SERVICE_NAME: "guichet" },
      traceQuestions: false,
      metrics: { enabled: true },
      finops: {
        budgets: { global: {}, perKey: {}, keys: {}, alertShare: 0.8 },
        usageLog: { dir: "data/usage", retentionDays: 90 },
      },
      guardLlm: false,
      auth: {
        enabled: false,
        disabledReason: "NODE_ENV=development and no API key or JWT verifier configured (local default)",
        apiKeys: [],
      },
      rateLimit: { perMinute: 10, prefix: "guichet:rl:" },
      cache: {
        backend: "memory", ttlMs: 86_400_000, maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, prefix: "guichet:cache:",
        threshold: SEMANTIC_THRESHOLD, lockMs: 30_000, waitMs: 10_000,
      },
      llmQueue: { concurrency: 8, queueLength: 32, minRemainingMs: 1000 },
      threads: { backend: "sqlite", sqlitePath: resolve("data/threads.sqlite"), schema: "guichet", retentionMs: 30 * 86_400_000 },
      feedback: { backend: "sqlite", sqlitePath: resolve("data/feedback.sqlite"), schema: "guichet_feedback", retentionMs: 30 * 86_400_000 },
      cors: { origins: [], credentials: false },
      trustProxy: false,
      web: { enabled: true },
    });
  });

  it("reads and coerces every variable", () => {
    expect(
      loadConfig({
        NODE_ENV: "production",
        PORT: "8080",
        HOST: "::1",
        LOG_LEVEL: "warn",
        GUICHET_INDEX_DIR: "/tmp/guichet-index",
        GUICHET_FREEDICT_DIR: "off",
        GUICHET_APERTIUM_DIR: "off",
        GUICHET_SOURCE: "vdd-xml",
        GUICHET_SOURCE_PATH: "/data/vosdroits",
        GUICHET_MAX_QUESTION_CHARS: "300",
        GUICHET_TOP_K: "5",
        GUICHET_MAX_PER_FICHE: "1",
        GUICHET_REQUEST_TIMEOUT_MS: "2000",
        GUICHET_SHUTDOWN_TIMEOUT_MS: "3000",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_SERVICE_NAME: "guichet-prod",
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
        GUICHET_TRACE_QUESTIONS: "true",
        GUICHET_METRICS_TOKEN: "scrape-token-0123456789",
        GUICHET_BUDGET_GLOBAL_DAILY_COST: "25",
        GUICHET_BUDGET_KEY_DAILY_TOKENS: "200000",
        GUICHET_BUDGET_ALERT_SHARE: "0.9",
        GUICHET_USAGE_LOG_DIR: "/var/lib/guichet/usage",
        GUICHET_USAGE_RETENTION_DAYS: "30",
        GUICHET_API_KEYS: JSON.stringify([{ name: "portal", sha256: "AB".repeat(32), rate_limit_per_minute: 30 }]),
        GUICHET_JWT_SECRET: "s".repeat(32),
        GUICHET_JWT_ISSUER: "https://idp.example.fr",
        GUICHET_JWT_AUDIENCE: "guichet",
        GUICHET_JWT_SCOPE: "guichet:ask",
        GUICHET_RATE_LIMIT_PER_MINUTE: "20",
        GUICHET_REDIS_URL: "redis://127.0.0.1:6379",
        GUICHET_RATE_LIMIT_PREFIX: "rl:",
        GUICHET_CORS_ORIGINS: "https://a.example.fr, https://b.example.fr",
        GUICHET_CORS_CREDENTIALS: "true",
        GUICHET_WEB: "off",
        GUICHET_TRUST_PROXY: "2",
        GUICHET_CACHE_TTL_S: "60",
        GUICHET_CACHE_MAX_ENTRIES: "100",
        GUICHET_CACHE_MAX_MB: "2",
        GUICHET_CACHE_PREFIX: "c:",
        GUICHET_CACHE_SEMANTIC_THRESHOLD: "off",
        GUICHET_CACHE_LOCK_MS: "5000",
        GUICHET_CACHE_WAIT_MS: "1000",
        GUICHET_LLM_CONCURRENCY: "2",
        GUICHET_LLM_QUEUE: "0",
        GUICHET_LLM_QUEUE_MIN_REMAINING_MS: "500",
        DATABASE_URL: "postgres://u@db:5432/guichet",
        GUICHET_THREADS_SQLITE: ":memory:",
        GUICHET_THREADS_SCHEMA: "g2",
        GUICHET_THREAD_RETENTION_DAYS: "7",
        GUICHET_FEEDBACK: "postgres",
        GUICHET_FEEDBACK_SQLITE: "/var/lib/guichet/feedback.sqlite",
        GUICHET_FEEDBACK_SCHEMA: "fb2",
        GUICHET_FEEDBACK_RETENTION_DAYS: "14",
        UNRELATED: "ignored",
      }),
    ).toEqual({
      env: "production",
      port: 8080,
      host: "::1",
      logLevel: "warn",
      indexDir: "/tmp/guichet-index",
      freedictDir: "",
      apertiumDir: "",
      sources: [{ kind: "vdd-xml", path: "/data/vosdroits" }],
      maxQuestionLength: 300,
      topK: 5,
      maxPerFiche: 1,
      retrieval: { mode: "bm25", rrfK: 60, candidates: 100, denseWeight: 0.3, rerankCandidates: 30 },
      rerank: { kind: "learned" },
      embeddings: { kind: "lsa" },
      requestTimeoutMs: 2000,
      shutdownTimeoutMs: 3000,
      otel: {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_SERVICE_NAME: "guichet-prod",
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
      },
      traceQuestions: true,
      metrics: { enabled: true, token: "scrape-token-0123456789" },
      finops: {
        budgets: { global: { cost: 25 }, perKey: { tokens: 200000 }, keys: {}, alertShare: 0.9 },
        usageLog: { dir: "/var/lib/guichet/usage", retentionDays: 30 },
      },
      guardLlm: false,
      auth: {
        enabled: true,
        apiKeys: [{ name: "portal", sha256: "ab".repeat(32), rate_limit_per_minute: 30, scopes: ["invoke"] }],
        jwt: {
          verifier: { kind: "secret", secret: "s".repeat(32) },
          issuer: "https://idp.example.fr",
          audience: "guichet",
          requiredScope: "guichet:ask",
        },
      },
      rateLimit: { perMinute: 20, redisUrl: "redis://127.0.0.1:6379", prefix: "rl:" },
      llmQueue: { concurrency: 2, queueLength: 0, minRemainingMs: 500 },
      threads: { backend: "postgres", sqlitePath: ":memory:", databaseUrl: "postgres://u@db:5432/guichet", schema: "g2", retentionMs: 7 * 86_400_000 },
      feedback: {
        backend: "postgres",
        sqlitePath: "/var/lib/guichet/feedback.sqlite",
        databaseUrl: "postgres://u@db:5432/guichet",
        schema: "fb2",
        retentionMs: 14 * 86_400_000,
      },
      cache: { backend: "redis", ttlMs: 60_000, maxEntries: 100, maxBytes: 2 * 1024 * 1024, prefix: "c:", threshold: null, lockMs: 5000, waitMs: 1000 },
      cors: { origins: ["https://a.example.fr", "https://b.example.fr"], credentials: true },
      trustProxy: 2,
      web: { enabled: false },
    });
  });

  it("refuses a Redis cache without Redis, and a similarity threshold outside (0, 1]", () => {
    expect(() => loadConfig({ GUICHET_CACHE: "redis" })).toThrow(/GUICHET_CACHE: "redis" needs GUICHET_REDIS_URL/);
    expect(() => loadConfig({ GUICHET_CACHE_SEMANTIC_THRESHOLD: "1.5" })).toThrow(/GUICHET_CACHE_SEMANTIC_THRESHOLD/);
    expect(() => loadConfig({ GUICHET_CACHE: "disk" })).toThrow(/GUICHET_CACHE/);
    expect(loadConfig({ GUICHET_CACHE: "off" }).cache.backend).toBe("off");
    expect(() => loadConfig({ GUICHET_THREADS: "postgres" })).toThrow(/GUICHET_THREADS: "postgres" needs DATABASE_URL/);
    expect(() => loadConfig({ GUICHET_THREADS_SCHEMA: "Bad-Schema" })).toThrow(/GUICHET_THREADS_SCHEMA/);
  });

  it("keeps feedback in SQLite unless PostgreSQL is asked for, and checks its variables", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://u@db:5432/guichet" }).feedback.backend).toBe("sqlite");
    expect(loadConfig({ GUICHET_FEEDBACK: "off" }).feedback.backend).toBe("off");
    expect(loadConfig({ GUICHET_FEEDBACK_SQLITE: ":memory:" }).feedback.sqlitePath).toBe(":memory:");
    expect(() => loadConfig({ GUICHET_FEEDBACK: "postgres" })).toThrow(/GUICHET_FEEDBACK: "postgres" needs DATABASE_URL/);
    expect(() => loadConfig({ GUICHET_FEEDBACK: "redis" })).toThrow(/GUICHET_FEEDBACK: /);
    expect(() => loadConfig({ GUICHET_FEEDBACK_SCHEMA: "guichet-feedback" })).toThrow(/GUICHET_FEEDBACK_SCHEMA: must be a lower-case SQL identifier/);
    expect(() => loadConfig({ GUICHET_FEEDBACK_RETENTION_DAYS: "0" })).toThrow(/GUICHET_FEEDBACK_RETENTION_DAYS: /);
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({ PORT: "", LOG_LEVEL: "", OTEL_EXPORTER_OTLP_ENDPOINT: "", GUICHET_SOURCE_PATH: "" })).toMatchObject({
      port: 3000,
      logLevel: "info",
      otel: { OTEL_SERVICE_NAME: "guichet" },
      sources: [{ kind: "vdd-npm" }],
    });
  });

  it("resolves a relative index directory against the working directory", () => {
    expect(loadConfig({ GUICHET_INDEX_DIR: "some/dir" }).indexDir).toBe(resolve(process.cwd(), "some/dir"));
  });

  it("accepts port 0 (any free port) and every log level", () => {
    expect(loadConfig({ PORT: "0" }).port).toBe(0);
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });

  it.each([
    ["PORT", { PORT: "abc" }],
    ["PORT", { PORT: "70000" }],
    ["PORT", { PORT: "-1" }],
    ["PORT", { PORT: "80.5" }],
    ["LOG_LEVEL", { LOG_LEVEL: "loud" }],
    ["NODE_ENV", { NODE_ENV: "staging" }],
    ["GUICHET_SOURCE", { GUICHET_SOURCE: "ftp" }],
    ["GUICHET_SOURCE_PATH", { GUICHET_SOURCE: "vdd-xml" }],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", { OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }],
    ["OTEL_TRACES_SAMPLER", { OTEL_TRACES_SAMPLER: "sometimes" }],
    ["OTEL_TRACES_SAMPLER_ARG", { OTEL_TRACES_SAMPLER_ARG: "2" }],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", { OTEL_EXPORTER_OTLP_PROTOCOL: "carrier-pigeon" }],
    ["GUICHET_METRICS_TOKEN", { GUICHET_METRICS_TOKEN: "short" }],
    ["GUICHET_BUDGET_GLOBAL_DAILY_COST", { GUICHET_BUDGET_GLOBAL_DAILY_COST: "-3" }],
    ["GUICHET_BUDGET_ALERT_SHARE", { GUICHET_BUDGET_ALERT_SHARE: "1.5" }],
    ["GUICHET_TOP_K", { GUICHET_TOP_K: "0" }],
    ["GUICHET_MAX_PER_FICHE", { GUICHET_MAX_PER_FICHE: "1.5" }],
    ["GUICHET_MAX_QUESTION_CHARS", { GUICHET_MAX_QUESTION_CHARS: "-10" }],
    ["GUICHET_REQUEST_TIMEOUT_MS", { GUICHET_REQUEST_TIMEOUT_MS: "soon" }],
    ["GUICHET_SHUTDOWN_TIMEOUT_MS", { GUICHET_SHUTDOWN_TIMEOUT_MS: "0" }],
  ])("rejects a bad %s with a ConfigError naming it", (name, env) => {
    const error = configError(env);
    expect(error.name).toBe("ConfigError");
    expect(error.message.startsWith("invalid configuration:\n  ")).toBe(true);
    expect(error.message).toMatch(new RegExp(`^  ${name}: `, "m"));
  });

  it("explains that GUICHET_SOURCE_PATH is required with vdd-xml", () => {
    expect(configError({ GUICHET_SOURCE: "vdd-xml" }).message).toBe(
      "invalid configuration:\n  GUICHET_SOURCE_PATH: required when GUICHET_SOURCE=vdd-xml",
    );
  });

  it("names every bad variable at once, one per line", () => {
    const lines = configError({ PORT: "abc", LOG_LEVEL: "loud", OTEL_EXPORTER_OTLP_ENDPOINT: "nope" }).message.split("\n");
    expect(lines[0]).toBe("invalid configuration:");
    expect(lines.slice(1).map((l) => l.trim().split(":")[0]).sort()).toEqual(["LOG_LEVEL", "OTEL_EXPORTER_OTLP_ENDPOINT", "PORT"]);
  });

  // BUG, fails until fixed (tools/config.ts:53-61): the GUICHET_SOURCE_PATH check runs only when the
  // schema passed, so it is not reported together with the other bad variables.
  it("names the missing GUICHET_SOURCE_PATH together with the other bad variables", () => {
    const message = configError({ PORT: "abc", GUICHET_SOURCE: "vdd-xml" }).message;
    expect(message).toMatch(/^ {2}PORT: /m);
    expect(message).toMatch(/^ {2}GUICHET_SOURCE_PATH: /m);
  });

  it("is an Error", () => {
    const error = new ConfigError("x");
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("x");
  });
});

describe("GUICHET_SOURCES", () => {
  it("reads several sources in order, with aliases and audiences", () => {
    const config = loadConfig({ GUICHET_SOURCES: "vdd-npm, npm:professionnels, vosdroits-xml=/data/xml" });
    expect(config.sources).toEqual([
      { kind: "vdd-npm" },
      { kind: "vdd-npm", audience: "professionnels" },
      { kind: "vdd-xml", path: "/data/xml" },
    ]);
  });

  it("wins over the single-source shorthand", () => {
    const config = loadConfig({ GUICHET_SOURCES: "vdd-npm:associations", GUICHET_SOURCE: "vdd-xml" });
    expect(config.sources).toEqual([{ kind: "vdd-npm", audience: "associations" }]);
  });

  it.each([
    ["ftp", /GUICHET_SOURCES: unknown source "ftp"/],
    ["vdd-npm:martiens", /audience must be one of particuliers, professionnels, associations/],
    ["vdd-xml", /needs a folder, as in vdd-xml=/],
    ["vdd-npm=/x", /vdd-npm takes no path/],
  ])("rejects %s with a precise message", (spec, message) => {
    expect(() => loadConfig({ GUICHET_SOURCES: spec, PORT: "abc" })).toThrow(message);
    expect(() => loadConfig({ GUICHET_SOURCES: spec, PORT: "abc" })).toThrow(/PORT: /);
  });
});
