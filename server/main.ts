import type { Server } from "node:http";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { loadCapabilities } from "../graphs/capabilities.js";
import { servableManifest } from "../corpus/index-store.js";
import { sourcesFromConfig } from "../corpus/select-source.js";
import { assignVariant, loadExperiment } from "../tools/experiments/experiment.js";
import { ExperimentRunner } from "../tools/experiments/variant-capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { ConfigError, loadConfig, type AppConfig } from "../tools/config.js";
import { createLogger } from "../tools/logger.js";
import { createApp, installClientErrorHandler } from "./app.js";
import { createRateLimiter } from "./rate-limit.js";
import { createAnswerCache } from "../tools/cache/create.js";
import { record } from "../tools/telemetry/metrics.js";
import { LlmAdmission } from "../tools/llm/admission.js";
import { connectRedis } from "../tools/redis-connection.js";
import { openThreadStore } from "../tools/threads/store.js";
import { openFeedbackStore } from "../tools/feedback/store.js";
import { Threads } from "../tools/threads/threads.js";
import { createFinOps } from "./finops.js";
import { startTelemetry } from "./telemetry.js";

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish (up to the shutdown timeout), then exits cleanly. */
  close(): Promise<void>;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * The configuration the index is checked against. A container image serves the index built into it and ships
 * without the data packages it was read from: when the configured sources cannot be opened and a complete index
 * is there, that index is served as built (no sources to compare it with) rather than failing.
 */
export function indexCheck(
  config: AppConfig,
  log: (message: string) => void,
  openSources: (specs: AppConfig["sources"]) => unknown = sourcesFromConfig,
): { config: AppConfig; keepExisting: boolean } {
  try {
    openSources(config.sources);
    return { config, keepExisting: false };
  } catch (error) {
    if (!servableManifest(config.indexDir)) throw error;
    log(`sources not available (${String((error as Error).message).split("\n")[0]}): the index is served as built`);
    return { config: { ...config, sources: [] }, keepExisting: true };
  }
}

/** Builds everything (index if missing or stale, capabilities, graph) and listens. */
export async function startServer(config: AppConfig, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const telemetry = startTelemetry(config.otel);
  logger.info({ tracing: telemetry.enabled }, telemetry.enabled ? "OpenTelemetry export on" : "OpenTelemetry export off");
  const checked = indexCheck(config, (message) => logger.info(message));
  const capabilities = await loadCapabilities(checked.config, (message) => logger.info(message), {
    progress: process.stderr.isTTY === true,
    keepExisting: checked.keepExisting,
  });
  if (config.auth.enabled) {
    logger.info(
      { api_keys: config.auth.apiKeys.map((k) => k.name), jwt: config.auth.jwt?.verifier.kind ?? "off" },
      "authentication enabled",
    );
  } else {
    logger.warn(`authentication disabled: ${config.auth.disabledReason ?? "not configured"}; every caller is allowed`);
  }
  // One Redis connection for the process: rate limits, the answer cache and its locks.
  const redis = config.rateLimit.redisUrl ? await connectRedis(config.rateLimit.redisUrl, logger) : undefined;
  const rateLimiter = await createRateLimiter({ ...config.rateLimit, logger, ...(redis ? { redis } : {}) });
  const answerCache = createAnswerCache(config, capabilities, logger, redis);
  const finops = capabilities.llm ? createFinOps(config, logger, redis) : undefined;
  if (answerCache) capabilities.answerCache = answerCache;
  const experiment = config.experimentFile ? new ExperimentRunner(loadExperiment(config.experimentFile), capabilities, assignVariant) : undefined;
  if (experiment) logger.info({ experiment: experiment.experiment.experiment, variants: [...experiment.variants.keys()] }, "experiment on");
  const threadStore = await openThreadStore(config.threads, logger);
  const threads = threadStore
    ? new Threads(threadStore, buildGraph({ checkpointer: threadStore.saver }), config.threads.retentionMs, (keys) =>
        answerCache ? answerCache.forget(keys) : Promise.resolve(),
      )
    : undefined;
  logger.info(
    { threads: threadStore?.kind ?? "off", retention_days: config.threads.retentionMs / 86_400_000 },
    threadStore ? `conversations kept in ${threadStore.kind}` : "conversations off",
  );
  // Expired conversations are erased at start-up and every hour, not only when someone asks for them.
  const sweep = () =>
    void threads
      ?.sweep()
      .then((erased) => erased > 0 && logger.info({ erased }, "threads: expired conversations erased"))
      .catch(() => logger.warn("threads: expiry sweep failed (store unreachable); retried in an hour"));
  sweep();
  const sweeper = setInterval(sweep, 3_600_000);
  sweeper.unref();
  // Expired runs are deleted now and every hour (docs/feedback.md).
  const feedback = await openFeedbackStore(config.feedback, logger);
  logger.info({ feedback: feedback?.kind ?? "off", retention_days: config.feedback.retentionMs / 86_400_000 }, feedback ? `runs logged for feedback in ${feedback.kind}` : "feedback off");
  if (capabilities.llm) capabilities.llmAdmission = new LlmAdmission(config.llmQueue, (reason) => record.shed(reason));
  logger.info(
    answerCache
      ? { cache: answerCache.backend.kind, semantic_threshold: config.cache.threshold, ttl_s: config.cache.ttlMs / 1000 }
      : { cache: "off" },
    answerCache ? `answer cache on (${answerCache.backend.kind})` : "answer cache off",
  );
  logger.info(
    { per_minute: config.rateLimit.perMinute, ...rateLimiter.status() },
    config.rateLimit.redisUrl ? "rate limits shared through Redis" : "rate limits counted in memory (this process only)",
  );
  const llm = capabilities.llm;
  logger.info(
    llm ? { llm: "on", answer_model: llm.settings.roles.answer.model, deadline_ms: llm.deadlineMs } : { llm: "off" },
    llm ? "LLM roles on" : "LLM roles off (no OPENAI_API_KEY): extractive answers",
  );
  // One throw-away search compiles the hot paths before the first user request.
  // The misspelt word builds the typo correctors now (about 1 s) rather than on a user's first unknown word.
  const { lexical } = capabilities.search;
  lexical.search("prix du pasport", { k: config.topK });
  if (lexical.chunks[0]) lexical.ficheIndex?.rank("prix du pasport", [lexical.chunks[0].ficheId]);
  const app = createApp({
    graph: buildGraph(),
    capabilities,
    logger,
    maxQuestionLength: config.maxQuestionLength,
    topK: config.topK,
    maxPerFiche: config.maxPerFiche,
    requestTimeoutMs: config.requestTimeoutMs,
    version: packageVersion(),
    auth: config.auth,
    rateLimiter,
    ...(threads ? { threads } : {}),
    ...(feedback ? { feedback } : {}),
    cors: config.cors,
    trustProxy: config.trustProxy,
    ...(config.web.enabled ? { web: config.web.dsfrDir ? { dsfrDir: config.web.dsfrDir } : {} } : {}),
    metrics: config.metrics,
    traceQuestions: config.traceQuestions,
    ...(experiment ? { experiment } : {}),
    ...(finops ? { accounting: finops.accounting } : {}),
    ...(finops?.budgetStatus ? { budgetStatus: finops.budgetStatus } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  server.requestTimeout = config.requestTimeoutMs + 5_000;
  installClientErrorHandler(server);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, fiches: capabilities.snapshot.fiches, snapshot: capabilities.snapshot.date }, "Guichet listening");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info("shutting down: finishing in-flight requests");
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections go as soon as their in-flight request is answered.
      server.on("request", (_req, res) => res.setHeader("Connection", "close"));
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await done;
      clearInterval(sweeper);
      clearTimeout(timer);
      await rateLimiter.close();
      await answerCache?.backend.close();
      await finops?.close();
      clearInterval(sweeper);
      await threadStore?.close().catch(() => undefined);
      await feedback?.close().catch(() => undefined);
      try {
        redis?.destroy();
      } catch {
        // already closed
      }
      try {
        await telemetry.shutdown(Math.min(5_000, config.shutdownTimeoutMs));
      } catch (error) {
        logger.warn({ err: error }, "final trace export failed");
      }
      logger.info("stopped");
    })());
  return { server, url, close };
}

/** Entry point of `npm start`. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<RunningServer | undefined> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return undefined;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, logger);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "signal received");
      void running.close().then(() => process.exit(0));
    });
  }
  return running;
}

if (process.argv[1]?.endsWith("server/main.ts")) await main();
