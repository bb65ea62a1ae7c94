import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from "@opentelemetry/api";
import cors from "cors";
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import helmet from "helmet";
import type { Logger } from "pino";
import type { Capabilities } from "../graphs/capabilities.js";
import type { GuichetGraph } from "../graphs/guichet.js";
import { runGuichet, type AskResponse, type RunEvent } from "../graphs/run.js";
import type { AuthConfig } from "../tools/security-config.js";
import type { RunAccounting } from "../graphs/accounting.js";
import type { BreakerState } from "../tools/llm/resilience.js";
import { record, setGaugeSources, setMetricsEnabled } from "../tools/telemetry/metrics.js";
import { randomSpan, tracer } from "../tools/telemetry/tracing.js";
import { metricsRoute } from "./metrics-route.js";
import { openApiDocument } from "./openapi.js";
import { isUntraced, ROUTES, routedPath, routeOf, THREAD_ROUTE_METHODS } from "./http-route.js";
import { authenticate } from "./auth.js";
import { HttpProblem, problemBody, problems } from "./problems.js";
import { loadShedOf, readiness } from "./readiness.js";
import { addThreadRoutes, checkedThreadId, ownerOf, threadProblem } from "./thread-routes.js";
import { addFeedbackRoutes, runLogging } from "./feedback-routes.js";
import { addWebRoutes } from "./web-routes.js";
import type { FeedbackStore } from "../tools/feedback/types.js";
import type { Threads } from "../tools/threads/threads.js";
import type { ExperimentRunner } from "../tools/experiments/variant-capabilities.js";
import type { RateLimiter } from "./rate-limit.js";
import { describeIssues, invokeBodySchema } from "./schemas.js";

export interface AppOptions {
  graph: GuichetGraph;
  capabilities: Capabilities;
  logger: Logger;
  maxQuestionLength: number;
  topK: number;
  maxPerFiche: number;
  requestTimeoutMs: number;
  version: string;
  /** Default: authentication off (every caller anonymous). startServer passes the configured one. */
  auth?: AuthConfig;
  /** Default: no rate limit. startServer always passes one. */
  rateLimiter?: RateLimiter;
  /** Conversations (thread_id, /threads routes); absent: off. */
  threads?: Threads;
  /** The run log behind `POST /feedback` (docs/feedback.md); absent: feedback off, no `run_id`. */
  feedback?: FeedbackStore;
  /** Browser origins allowed (default none: no CORS headers). */
  cors?: { origins: string[]; credentials: boolean };
  /** Prometheus metrics (default: on, /metrics open). */
  metrics?: { enabled: boolean; token?: string };
  /** Budgets and usage log (default: none). */
  accounting?: RunAccounting;
  /** Budget figures for the gauges (with `accounting`). */
  budgetStatus?: () => { alertShare: number; status: Array<{ scope: string; unit: string; spent: number; limit: number }> };
  /** The redacted question on run spans (default off). */
  traceQuestions?: boolean;
  /** Proxies trusted to name the client in X-Forwarded-For (default none: the socket's peer is the client). */
  trustProxy?: false | number | string;
  /** The chat page at `/` (default: not served); `dsfrDir` is DSFR's dist folder, absent for the neutral theme. */
  web?: { dsfrDir?: string };
  /** An A/B experiment: each run gets the variant of its thread, else of its caller (GUICHET_EXPERIMENT_FILE). */
  experiment?: ExperimentRunner;
}

export const BODY_LIMIT = "16kb";

declare module "express-serve-static-core" {
  interface Request {
    id: string;
    /** The request's logger: every line carries its request id and trace id. */
    log: Logger;
  }
}

/** The HTTP layer: validation, the graph call, and errors as JSON problems. No business logic here. */
export function createApp(options: AppOptions) {
  const app = express();
  app.disable("x-powered-by");
  // Behind a proxy, anonymous callers (the chat page's) are rate-limited by their own address, not the proxy's.
  app.set("trust proxy", options.trustProxy ?? false);
  const bodySchema = invokeBodySchema(options.maxQuestionLength);
  const startedAt = Date.now();
  const metrics = options.metrics ?? { enabled: true };
  setMetricsEnabled(metrics.enabled);
  if (metrics.enabled) setGaugeSources(gaugeSources(options));

  app.use(requestContext(options.logger));
  // A JSON API: helmet's defaults (no sniffing, no framing, HSTS, a closed CSP) cost nothing here.
  app.use(helmet());
  if (options.cors && options.cors.origins.length > 0) app.use(corsPolicy(options.cors));
  /** What every question route runs first: who is calling, then whether they are within their limit. */
  const guarded: RequestHandler[] = [
    authenticate(options.auth ?? { enabled: false, apiKeys: [] }),
    ...(options.rateLimiter ? [options.rateLimiter.middleware] : []),
  ];

  app.get("/health", (_req, res) => {
    const { snapshot } = options.capabilities;
    const rateLimit = options.rateLimiter?.status();
    res.json({
      status: rateLimit?.degraded ? "degraded" : "ok",
      version: options.version,
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      index: {
        source: snapshot.source,
        snapshot_date: snapshot.date,
        fiches: snapshot.fiches,
        chunks: options.capabilities.search.chunks.length,
      },
      ...(rateLimit ? { rate_limit: rateLimit } : {}),
    });
  });

  app.get("/ready", (_req, res) => {
    const report = readiness(options);
    res.status(report.ready ? 200 : 503).json(report);
  });

  const openapi = openApiDocument();
  app.get("/openapi.json", (_req, res) => res.json(openapi));

  if (metrics.enabled) app.get("/metrics", metricsRoute(metrics.token));

  /** Validates the body and runs the graph; the run is cancelled when the client goes away or time runs out. */
  const run = async (req: Request, res: Response, onEvent?: (event: RunEvent) => void): Promise<AskResponse> => {
    if (req.body === null || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw problems.invalidRequest("the request body must be a JSON object");
    }
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) throw problems.invalidRequest(describeIssues(parsed.error));
    const threadId = parsed.data.thread_id === undefined ? undefined : checkedThreadId(parsed.data.thread_id, "thread_id");
    const threads = options.threads;
    if (threadId !== undefined) {
      if (!threads) throw problems.threadsOff();
      try {
        await threads.prepare(threadId, ownerOf(req));
      } catch (error) {
        throw threadProblem(error) ?? error;
      }
    }
    const timeout = AbortSignal.timeout(options.requestTimeoutMs);
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort(new Error("the client closed the connection"));
    });
    const signal = AbortSignal.any([timeout, gone.signal]);
    const variant = options.experiment?.variantOf(threadId ?? ownerOf(req));
    const logging = runLogging(options.feedback, req);
    try {
      return await logging.record(await runGuichet(
        threadId !== undefined && threads ? threads.graph : options.graph,
        {
          question: parsed.data.question,
          ...(parsed.data.language ? { language: parsed.data.language } : {}),
          ...(threadId !== undefined ? { threadId, owner: ownerOf(req) } : {}),
          caller: callerLabel(req),
        },
        {
          capabilities: variant?.capabilities ?? options.capabilities,
          configuration: {
            topK: options.topK,
            maxPerFiche: options.maxPerFiche,
            maxQuestionLength: options.maxQuestionLength,
            ...variant?.configuration,
          },
          ...(variant ? { variant: variant.name } : {}),
          signal,
          ...(onEvent ? { onEvent } : {}),
          ...(options.accounting ? { accounting: options.accounting } : {}),
          ...(options.traceQuestions ? { traceQuestions: true } : {}),
          ...logging.options,
        },
      ));
    } catch (error) {
      if (timeout.aborted) throw problems.timeout(options.requestTimeoutMs);
      if (gone.signal.aborted) throw problems.invalidRequest("the request was aborted by the client");
      throw threadProblem(error) ?? error;
    }
  };
  const json = express.json({ limit: BODY_LIMIT, strict: false, type: () => true });

  app.post("/invoke", ...guarded, requireJson, json, async (req, res) => {
    res.json(await run(req, res));
  });

  app.post("/stream", ...guarded, requireJson, json, async (req, res) => {
    // Bad input fails before the first event: it is answered as a plain JSON problem, not as a stream.
    let started = false;
    const send = (event: string, data: unknown) => {
      if (!started) {
        res.status(200).set({
          "Content-Type": "text/event-stream; charset=utf-8",
          "Cache-Control": "no-cache, no-transform",
          "X-Accel-Buffering": "no",
        });
        res.flushHeaders();
        started = true;
      }
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // Events wait until the run is past the LLM queue (the `cache` node admits it, then reports finished): a
    // shed run is still answered as a plain 503 problem with Retry-After, not as a stream that opens and fails.
    let admitted = false;
    const held: RunEvent[] = [];
    const onEvent = (event: RunEvent) => {
      if (admitted) return send(event.type, event);
      held.push(event);
      if (event.type !== "progress" || (event.node === "cache" && event.status === "finished")) {
        admitted = true;
        for (const e of held.splice(0)) send(e.type, e);
      }
    };
    try {
      const response = await run(req, res, onEvent);
      for (const e of held.splice(0)) send(e.type, e);
      send("final", response);
    } catch (error) {
      if (!started) throw error;
      if (res.destroyed) return;
      const problem = toProblem(error);
      if (problem.slug === "internal") req.log.error({ err: error }, "unhandled error");
      send("error", problemBody(problem, req.originalUrl.split("?")[0] ?? "/", req.id));
    }
    res.end();
  });

  if (options.web) {
    addWebRoutes(app, {
      ...options.web,
      maxQuestionLength: options.maxQuestionLength,
      threads: Boolean(options.threads),
      feedback: Boolean(options.feedback),
      snapshot: options.capabilities.snapshot,
    });
  }
  addThreadRoutes(app, options.threads, guarded);
  addFeedbackRoutes(app, options.feedback, [...guarded, requireJson, json]);

  // Routes that are switched off are not there at all: 404, not 405.
  const served: Record<string, string[]> = { ...ROUTES };
  if (!options.web) delete served["/"];
  if (!metrics.enabled) delete served["/metrics"];
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const path = routedPath(req.path);
    const allowed = served[path] ?? (/^\/threads\/[^/]+$/.test(path) ? THREAD_ROUTE_METHODS : undefined);
    next(allowed ? problems.methodNotAllowed(req.method, req.path, allowed) : problems.notFound(req.method, req.path));
  });
  app.use(errorHandler(options.logger));
  return app;
}

/**
 * Requests Node's HTTP parser rejects (bad request line, bad Content-Length, header overflow) never reach
 * Express: answer them with a JSON problem too, then close the connection.
 */
export function installClientErrorHandler(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      type: `urn:guichet:problem:${tooLarge ? "headers-too-large" : "bad-request"}`,
      title: tooLarge ? "Request headers too large" : "Bad request",
      status,
      detail: tooLarge ? "the request headers are too large" : "the request is not valid HTTP/1.1",
      instance: "/",
      request_id: randomUUID(),
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        "Content-Type: application/problem+json; charset=utf-8\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

function corsPolicy(config: { origins: string[]; credentials: boolean }) {
  return cors({
    origin: config.origins.includes("*") ? "*" : config.origins,
    credentials: config.credentials,
    methods: ["GET", "HEAD", "POST", "DELETE"],
    allowedHeaders: ["Content-Type", "Authorization", "X-API-Key", "X-Request-Id", "traceparent", "tracestate"],
    exposedHeaders: ["X-Request-Id", "RateLimit", "RateLimit-Policy", "Retry-After", "WWW-Authenticate"],
    maxAge: 600,
  });
}

function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const type = req.headers["content-type"];
  if (!type || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    next(problems.unsupportedMediaType(type));
    return;
  }
  next();
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

/** Request id, a server span (continuing an incoming `traceparent`), and one access log line per request. */
function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers["x-request-id"];
    req.id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("X-Request-Id", req.id);
    const started = performance.now();
    const parent = propagation.extract(context.active(), req.headers);
    const span = requestSpan(req, parent);
    const { traceId, spanId, traceFlags } = span.spanContext();
    // W3C Trace Context's response header: the caller can quote the trace of its request.
    res.setHeader("traceresponse", `00-${traceId}-${spanId}-0${traceFlags & TraceFlags.SAMPLED}`);
    const log = logger.child({ request_id: req.id, trace_id: traceId });
    req.log = log;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const aborted = !res.writableFinished;
      const route = routeOf(req);
      record.http(route, req.method, res.statusCode, (performance.now() - started) / 1000);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute("http.route", route);
      span.setAttribute("http.response.status_code", res.statusCode);
      if (aborted) span.setAttribute("guichet.client_aborted", true);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      log.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ...(req.principal && req.principal.kind !== "anonymous" ? { principal: req.principal.id } : {}),
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(aborted ? { aborted: true } : {}),
        },
        "request",
      );
    };
    res.on("finish", end);
    res.on("close", end);
    context.with(trace.setSpan(parent, span), next);
  };
}

/**
 * The request's server span, continuing an incoming `traceparent`. Probes and scrapes get none. With tracing off
 * the API's spans are no-ops carrying the caller's context or an empty one: the request then gets a random one,
 * so that its logs, its response and its run still share one trace id.
 */
function requestSpan(req: Request, parent: ReturnType<typeof context.active>): Span {
  if (isUntraced(req.path)) return randomSpan();
  const span = tracer().startSpan(
    `${req.method} ${req.path}`,
    {
      kind: SpanKind.SERVER,
      attributes: { "http.request.method": req.method, "url.path": req.path, "guichet.request_id": req.id },
    },
    parent,
  );
  return isSpanContextValid(span.spanContext()) ? span : randomSpan();
}

/** The budget scope and metrics label of a caller: the key's name, `jwt` for any token, or `anonymous`. */
function callerLabel(req: Request): string {
  const principal = req.principal;
  if (principal?.kind === "api-key") return principal.id.replace(/^key:/, "");
  return principal?.kind === "jwt" ? "jwt" : "anonymous";
}

/** A forced-open ("isolated") breaker is never set by Guichet: the gauge knows three states. */
const isReported = (b: { endpoint: string; state: BreakerState }): b is { endpoint: string; state: Exclude<BreakerState, "isolated"> } =>
  b.state !== "isolated";

/** What the gauges read at each scrape. */
function gaugeSources(options: AppOptions) {
  const { capabilities } = options;
  return {
    corpus: () => ({
      source: capabilities.snapshot.source,
      version: capabilities.snapshot.version ?? "unknown",
      snapshotDate: capabilities.snapshot.date,
      chunks: capabilities.search.chunks.length,
      fiches: capabilities.snapshot.fiches,
    }),
    ...(capabilities.llm ? { breakers: () => capabilities.llm!.breakerStates().filter(isReported) } : {}),
    ...(capabilities.llmAdmission ? { queue: () => capabilities.llmAdmission!.status() } : {}),
    ...(options.budgetStatus ? { budgets: options.budgetStatus } : {}),
  };
}

/** Maps every error to a JSON problem; unexpected ones are logged and answered without details. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const problem = toProblem(error);
    if (problem.status >= 500 && problem.slug === "internal") {
      (req.log ?? logger).error({ request_id: req.id, err: error }, "unhandled error");
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(problem.status).set(problem.headers).type("application/problem+json");
    res.send(JSON.stringify(problemBody(problem, req.originalUrl.split("?")[0] ?? "/", req.id)));
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const shed = loadShedOf(error);
  if (shed) return problems.overloaded(shed.message, shed.retryAfterS);
  const parserError = error as BodyParserError;
  switch (parserError?.type) {
    case "entity.parse.failed":
      return problems.invalidJson(`the request body is not valid JSON: ${parserError.message ?? "parse error"}`);
    case "entity.too.large":
      return problems.tooLarge(BODY_LIMIT.replace("kb", " KB"));
    case "encoding.unsupported":
    case "charset.unsupported":
      return problems.invalidRequest(parserError.message ?? "unsupported body encoding");
    case "request.aborted":
      return problems.invalidRequest("the request was aborted by the client");
    default:
      if (parserError?.status && parserError.status >= 400 && parserError.status < 500) {
        return problems.invalidRequest(parserError.message ?? "bad request");
      }
      return problems.internal();
  }
}
