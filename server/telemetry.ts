import { context, propagation } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { RedisInstrumentation } from "@opentelemetry/instrumentation-redis";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { NodeSDK } from "@opentelemetry/sdk-node";

export interface Telemetry {
  enabled: boolean;
  /** Flushes what is left to export; gives up after `timeoutMs` so a hung collector cannot hold a shutdown. */
  shutdown(timeoutMs?: number): Promise<void>;
}

const DEFAULT_SHUTDOWN_MS = 5_000;
const STARTED = Symbol.for("guichet.telemetry");
type Registry = typeof globalThis & { [STARTED]?: Telemetry };

/**
 * Whether the standard OTEL_* variables ask for trace export: an OTLP endpoint, or an explicit
 * OTEL_TRACES_EXPORTER other than `none`, and OTEL_SDK_DISABLED not `true`. Nothing set means no export, rather
 * than the SDK's default of retrying a collector on localhost that is not there.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter === "none") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || exporter);
}

/**
 * Starts the OpenTelemetry Node SDK once per process, configured by the standard variables alone
 * (OTEL_EXPORTER_OTLP_*, OTEL_TRACES_EXPORTER, OTEL_TRACES_SAMPLER(_ARG), OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*): OTLP over HTTP unless told otherwise, spans batched and exported off
 * the request path. Client spans of outgoing HTTP (node:http and fetch, so the LLM endpoint), Redis and PostgreSQL
 * come from the instrumentations; the server span of each request is opened by server/app.ts. `npm start` loads server/instrument.ts first so the
 * client libraries are patched before anything imports them.
 *
 * Whatever the variables say, a context manager is installed: with export off, a request still gets one trace id
 * that every log line and the response carry.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): Telemetry {
  const registry = globalThis as Registry;
  const started = registry[STARTED];
  if (started) return started;
  if (!tracingRequested(env)) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    // An incoming `traceparent` is still continued: the caller's trace id shows in the response and the logs.
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const off: Telemetry = {
      enabled: false,
      shutdown: async () => {
        delete registry[STARTED];
      },
    };
    registry[STARTED] = off;
    return off;
  }
  // The SDK reads its settings from process.env: the variables given here are put there first.
  for (const [key, value] of Object.entries(env)) if (key.startsWith("OTEL_") && value !== undefined) process.env[key] = value;
  // Metrics are Prometheus' (GET /metrics) and logs go to standard error: the SDK exports traces only, unless
  // the operator explicitly asks for its metrics or logs exporters too.
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "guichet",
    contextManager: new AsyncLocalStorageContextManager(),
    instrumentations: [
      // Outgoing calls only: each request's server span is server/app.ts's own, lighter than the
      // instrumentation's, named by its route template and without the caller's address (personal data).
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      new UndiciInstrumentation(),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      // Keys and arguments can hold the analysed words of a question (the semantic cache's term index): spans
      // keep the command name only.
      new RedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  const telemetry: Telemetry = {
    enabled: true,
    shutdown: (timeoutMs = DEFAULT_SHUTDOWN_MS) =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`trace export did not finish within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
        sdk.shutdown().then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }).finally(() => {
        delete registry[STARTED];
      })),
  };
  registry[STARTED] = telemetry;
  return telemetry;
}
