import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { NodeSDK } from "@opentelemetry/sdk-node";

export interface Telemetry {
  enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK with an OTLP/HTTP trace exporter when an endpoint is configured.
 * Without one nothing is started: the API's no-op tracer makes every span free.
 */
export function startTelemetry(otel: { endpoint?: string; serviceName: string }): Telemetry {
  if (!otel.endpoint) return { enabled: false, shutdown: async () => {} };
  const sdk = new NodeSDK({
    serviceName: otel.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${otel.endpoint.replace(/\/$/, "")}/v1/traces` }),
    contextManager: new AsyncLocalStorageContextManager(),
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
