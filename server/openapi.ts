/**
 * The OpenAPI 3.1 document of the HTTP API, built from the zod schemas of server/api-schemas.ts and the list of
 * route descriptions below: a new route is one more entry in API_ROUTES.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { INVOKE_SCOPE } from "../tools/security-config.js";
import { WEB_FILE_PREFIXES } from "./http-route.js";
import { FeedbackRequestSchema, FeedbackResponseSchema } from "./feedback-schemas.js";
import {
  apiComponents,
  HealthSchema,
  InvokeRequestSchema,
  LAST_STREAM_EVENTS,
  MetricsSchema,
  OpenApiDocumentSchema,
  PROBLEM_KINDS,
  ReadinessSchema,
  STREAM_EVENTS,
  ThreadIdSchema,
  ThreadSchema,
  AskResponseSchema,
  type ProblemKind,
} from "./api-schemas.js";

type Json = Record<string, unknown>;

/** A response of a route; without a body, it has no content (e.g. 204). */
export interface RouteResponse {
  description: string;
  /** `application/json` body. */
  json?: z.ZodType;
  /** `text/plain` body. */
  text?: z.ZodType;
  /** `text/html` body (the chat page). */
  html?: z.ZodType;
  /** `text/event-stream` body: the schema of each event's `data:`, by `event:` name. */
  events?: Record<string, z.ZodType>;
}

export interface ApiRoute {
  method: "get" | "post" | "delete";
  /** OpenAPI path template, e.g. `/threads/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: "questions" | "conversations" | "operations" | "web";
  /**
   * `api`: authentication (when on) then the rate limit, as for questions; `metrics`: the metrics bearer token,
   * when one is set; `none`: open.
   */
  access: "api" | "metrics" | "none";
  /** Also answers HEAD: the same statuses and headers, no body. */
  head?: boolean;
  pathParameters?: Record<string, { schema: z.ZodType; description: string }>;
  /** A JSON request body (any `application/json` or `application/*+json` content type). */
  requestBody?: { schema: z.ZodType; description: string };
  /** Responses other than problems, by status. */
  responses: Record<number, RouteResponse>;
  /**
   * The problems the route itself can answer, grouped by status in the document. Those of its `access`
   * (authentication, rate limit), of reading its `requestBody` and the 500 are added.
   */
  problems?: ProblemKind[];
}

/** What every route can answer whatever it does, and what its `access` adds before it runs. */
const ACCESS_PROBLEMS: Record<ApiRoute["access"], ProblemKind[]> = {
  api: ["unauthorized", "forbidden", "unavailable", "tooManyRequests", "internal"],
  metrics: ["unauthorized", "internal"],
  none: ["internal"],
};
/** What reading a JSON request body can answer (content type, parse, size, schema). */
const JSON_BODY_PROBLEMS: ProblemKind[] = ["unsupportedMediaType", "invalidJson", "invalidRequest", "tooLarge"];
/** What a question's run can answer: its thread, the LLM queue, the deadline. */
const RUN_PROBLEMS: ProblemKind[] = ["threadsOff", "notFoundThread", "threadsUnavailable", "overloaded", "timeout"];
const THREAD_PROBLEMS: ProblemKind[] = ["invalidRequest", "threadsOff", "notFoundThread", "threadsUnavailable"];

const threadId = { id: { schema: ThreadIdSchema, description: "The conversation's id (the `thread_id` of its questions)." } };
const question = { schema: InvokeRequestSchema, description: "The question, optionally its language and the conversation it continues." };

export const API_ROUTES: ApiRoute[] = [
  {
    method: "post",
    path: "/invoke",
    operationId: "invoke",
    summary: "Answer a question",
    description: "Answers from the service-public.fr fiches, with citations. A refused question is a 200 with `blocked`.",
    tag: "questions",
    access: "api",
    requestBody: question,
    responses: { 200: { description: "The answer.", json: AskResponseSchema } },
    problems: RUN_PROBLEMS,
  },
  {
    method: "post",
    path: "/stream",
    operationId: "stream",
    summary: "Answer a question as Server-Sent Events",
    description:
      "Same run as `/invoke`, streamed. Bad input and a run shed by the LLM queue are answered as problems before the stream " +
      "starts; a failure after it started is an `error` event, then the stream closes.",
    tag: "questions",
    access: "api",
    requestBody: question,
    responses: {
      200: {
        description:
          "Events `event: <name>\\ndata: <JSON>\\n\\n`: `progress` per graph step, `token` (answer text), `reset` (drop the tokens " +
          "so far), `citations`, then `final` (the `/invoke` body, authoritative) or `error` (a problem).",
        events: STREAM_EVENTS,
      },
    },
    problems: RUN_PROBLEMS,
  },
  {
    method: "post",
    path: "/feedback",
    operationId: "feedback",
    summary: "Rate an answer",
    description: "The caller rates one of its own answers, once. Another caller's, an expired or an unknown run are the same 404.",
    tag: "questions",
    access: "api",
    requestBody: { schema: FeedbackRequestSchema, description: "A rating of one answer, by its run_id or trace_id." },
    responses: { 201: { description: "The rating recorded.", json: FeedbackResponseSchema } },
    problems: ["notFoundRun", "alreadyRated", "feedbackUnavailable", "feedbackOff"],
  },
  {
    method: "get",
    path: "/threads/{id}",
    operationId: "getThread",
    summary: "Read a conversation",
    description: "For its owner only: another caller's, an expired or an unknown thread are the same 404.",
    tag: "conversations",
    access: "api",
    head: true,
    pathParameters: threadId,
    responses: { 200: { description: "The conversation.", json: ThreadSchema } },
    problems: THREAD_PROBLEMS,
  },
  {
    method: "delete",
    path: "/threads/{id}",
    operationId: "deleteThread",
    summary: "Erase a conversation",
    description: "Erases its checkpoints and the cache entries its answers made. For its owner only.",
    tag: "conversations",
    access: "api",
    pathParameters: threadId,
    responses: { 204: { description: "Erased." } },
    problems: THREAD_PROBLEMS,
  },
  {
    method: "get",
    path: "/",
    operationId: "chatPage",
    summary: "The chat page",
    description: "An HTML page (DSFR) that asks `/stream`, keeps its conversation (`/threads`) and sends ratings (`/feedback`); its files are under `/ui/` and `/dsfr/` (see `x-guichet-fallbacks.webFiles`). Served with GUICHET_WEB=on (the default), else 404. Its own Content-Security-Policy allows nothing inline.",
    tag: "web",
    access: "none",
    head: true,
    responses: {
      200: { description: "The page.", html: z.string() },
      304: { description: "Not modified since the browser's copy (ETag)." },
    },
    problems: ["notFound"],
  },
  {
    method: "get",
    path: "/health",
    operationId: "health",
    summary: "Liveness",
    tag: "operations",
    access: "none",
    head: true,
    responses: { 200: { description: "Alive.", json: HealthSchema } },
  },
  {
    method: "get",
    path: "/ready",
    operationId: "ready",
    summary: "Readiness",
    description: "200 while the index is loaded (dependencies may be `degraded`); 503 when the instance cannot answer at all.",
    tag: "operations",
    access: "none",
    head: true,
    responses: {
      200: { description: "Ready.", json: ReadinessSchema },
      503: { description: "Not ready (no index loaded).", json: ReadinessSchema },
    },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics",
    description: "Served unless GUICHET_METRICS=false. With GUICHET_METRICS_TOKEN set, only `Authorization: Bearer <token>` gets in.",
    tag: "operations",
    access: "metrics",
    head: true,
    responses: { 200: { description: "The metrics.", text: MetricsSchema } },
    problems: ["notFound"],
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This document",
    tag: "operations",
    access: "none",
    head: true,
    responses: { 200: { description: "The OpenAPI 3.1 document.", json: OpenApiDocumentSchema } },
  },
];

const without = (object: Json, ...keys: string[]): Json => Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

const HEADERS: Record<string, Json> = {
  "X-Request-Id": {
    description: "The request's id: the caller's `X-Request-Id` when valid, else a new UUID. Also in problems and logs.",
    required: true,
    schema: { type: "string", pattern: "^[\\w.-]{1,128}$" },
  },
  traceresponse: {
    description: "W3C Trace Context response header: the trace of this request.",
    required: true,
    schema: { type: "string", pattern: "^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$" },
  },
  RateLimit: {
    description: "The caller's remaining requests and seconds to the window's reset (IETF draft 8), when rate limiting is on.",
    schema: { type: "string", pattern: '^"[^"]+"; r=\\d+; t=\\d+$' },
    example: '"60-per-60s"; r=59; t=60',
  },
  "RateLimit-Policy": {
    description: "The caller's quota and window in seconds (IETF draft 8), when rate limiting is on.",
    schema: { type: "string", pattern: '^"[^"]+"; q=\\d+; w=\\d+; pk=:[^:]*:$' },
  },
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string", pattern: "^\\d+$" } },
  Allow: { description: "The methods the path answers.", required: true, schema: { type: "string" } },
  "WWW-Authenticate": {
    description: 'The challenge: `Bearer realm="guichet"`, with `error` (`invalid_token`, `insufficient_scope`, `invalid_request`) when a credential was sent.',
    required: true,
    schema: { type: "string", pattern: "^Bearer realm=" },
  },
};

/** The headers of a response, as `$ref`s to components; `optional` ones are not always there. */
function headersOf(required: string[], optional: string[] = []): Json {
  const headers: Json = {};
  for (const name of ["X-Request-Id", "traceresponse", ...required]) headers[name] = ref("headers", name);
  for (const name of optional) headers[name] ??= HEADERS[name]!.required ? { ...HEADERS[name], required: false } : ref("headers", name);
  return headers;
}

const RATE_LIMIT_HEADERS = ["RateLimit", "RateLimit-Policy"];

function problemResponse(status: number, kinds: ProblemKind[], rateLimited: boolean): Json {
  const infos = kinds.map((kind) => PROBLEM_KINDS[kind]);
  const always = [...new Set(infos.flatMap((p) => p.headers))].filter((h) => infos.every((p) => p.headers.includes(h)));
  const sometimes = [...new Set(infos.flatMap((p) => p.headers))].filter((h) => !always.includes(h));
  // express-rate-limit sets Retry-After on its own 429, not the problem.
  if (status === 429) always.push("Retry-After");
  const typed = (p: (typeof infos)[number]) => ({ type: { const: p.type }, title: { const: p.title } });
  const schema: Json = {
    allOf: [ref("schemas", "Problem")],
    properties: { status: { const: status }, ...(infos.length === 1 ? typed(infos[0]!) : {}) },
  };
  if (infos.length > 1) schema.oneOf = infos.map((p) => ({ properties: typed(p) }));
  return {
    description: infos.map((p) => `\`${p.type}\` (${p.title})`).join(", "),
    headers: headersOf(always, [...sometimes, ...(rateLimited ? RATE_LIMIT_HEADERS : [])]),
    content: { "application/problem+json": { schema } },
  };
}

/**
 * A zod schema as JSON Schema: a `$ref` when it is a named component, else inline, as read (`input`: a request,
 * unknown fields ignored) or as written (`output`: a response, no other field).
 */
function inlineSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const id = apiComponents.get(schema)?.id;
  if (id) return ref("schemas", id);
  return without(z.toJSONSchema(schema, { io }) as Json, "$schema");
}

function responseOf(response: RouteResponse, rateLimited: boolean): Json {
  const content: Json = {};
  if (response.json) content["application/json"] = { schema: inlineSchema(response.json, "output") };
  if (response.text) content["text/plain"] = { schema: inlineSchema(response.text, "output") };
  if (response.html) content["text/html"] = { schema: inlineSchema(response.html, "output") };
  if (response.events) {
    const events = Object.fromEntries(Object.entries(response.events).map(([name, schema]) => [name, inlineSchema(schema, "output")]));
    content["text/event-stream"] = {
      schema: { description: "The `data:` of each event, by `event:` name (see x-guichet-events).", oneOf: Object.values(events) },
      "x-guichet-events": events,
      "x-guichet-last-event": LAST_STREAM_EVENTS,
    };
  }
  return {
    description: response.description,
    headers: headersOf([], rateLimited ? RATE_LIMIT_HEADERS : []),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

const SECURITY: Record<ApiRoute["access"], Json[] | undefined> = {
  api: [{ apiKey: [INVOKE_SCOPE] }, { bearer: [INVOKE_SCOPE] }],
  // An empty requirement: the token is asked for only when one is configured.
  metrics: [{}, { metricsToken: [] }],
  none: [],
};

function operationOf(route: ApiRoute, method: "get" | "head" | "post" | "delete"): Json {
  const rateLimited = route.access === "api";
  const responses: Json = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const built = responseOf(response, rateLimited);
    if (method === "head") delete built.content;
    responses[status] = built;
  }
  const byStatus = new Map<number, ProblemKind[]>();
  const kinds = [...(route.problems ?? []), ...(route.requestBody ? JSON_BODY_PROBLEMS : []), ...ACCESS_PROBLEMS[route.access]];
  for (const kind of new Set(kinds)) {
    const { status } = PROBLEM_KINDS[kind];
    byStatus.set(status, [...(byStatus.get(status) ?? []), kind]);
  }
  for (const [status, kinds] of byStatus) {
    if (String(status) in responses) throw new Error(`${route.operationId}: status ${status} is both a response and a problem`);
    responses[status] = problemResponse(status, kinds, rateLimited && status !== 401 && status !== 403);
  }
  const parameters = [
    ...Object.entries(route.pathParameters ?? {}).map(([name, p]) => ({
      name,
      in: "path",
      required: true,
      description: p.description,
      schema: inlineSchema(p.schema, "input"),
    })),
    ref("parameters", "XRequestId"),
    ref("parameters", "traceparent"),
  ];
  return {
    operationId: method === "head" ? `${route.operationId}Head` : route.operationId,
    summary: method === "head" ? `${route.summary} (headers only)` : route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: SECURITY[route.access],
    parameters,
    ...(route.requestBody && method !== "head"
      ? {
          requestBody: {
            required: true,
            description: route.requestBody.description,
            content: { "application/json": { schema: inlineSchema(route.requestBody.schema, "input") } },
          },
        }
      : {}),
    responses,
  };
}

function pathsOf(routes: ApiRoute[]): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    for (const method of route.head ? [route.method, "head" as const] : [route.method]) {
      if (item[method]) throw new Error(`two routes for ${method.toUpperCase()} ${route.path}`);
      item[method] = operationOf(route, method);
    }
  }
  return paths;
}

/**
 * Every registered schema, as `components.schemas` (with `$ref`s between them). Request bodies are described as
 * they are read (unknown fields ignored), responses as they are written (no other field).
 */
function componentSchemas(routes: ApiRoute[]): Json {
  const requests = new Set(routes.flatMap((r) => (r.requestBody ? [apiComponents.get(r.requestBody.schema)?.id] : [])));
  const as = (io: "input" | "output") => z.toJSONSchema(apiComponents, { io, uri: (id) => `#/components/schemas/${id}` }).schemas;
  const read = as("input");
  const written = as("output");
  return Object.fromEntries(
    // The dialect is the document's (OpenAPI 3.1: JSON Schema 2020-12), the id its place in it.
    Object.keys(written).map((id) => [id, without((requests.has(id) ? read[id] : written[id]) as Json, "$schema", "$id")]),
  );
}

function problemComponent(kind: ProblemKind): Json {
  return problemResponse(PROBLEM_KINDS[kind].status, [kind], false);
}

/** Problems Node's HTTP parser causes are written on the socket: no request id, no trace. */
function malformedRequestResponse(kind: ProblemKind): Json {
  return without(problemComponent(kind), "headers");
}

const DESCRIPTION = [
  "Answers questions about French public-service procedures from the official service-public.fr fiches (Licence Ouverte 2.0).",
  "Errors are RFC 9457 problems (`application/problem+json`) whose `type` is a `urn:guichet:problem:*` URN.",
  "Beyond the operations listed (see `x-guichet-fallbacks`): a path not listed answers 404 `not-found`; a method a path does not list answers 405 `method-not-allowed` with `Allow`; with CORS on (GUICHET_CORS_ORIGINS) an OPTIONS preflight answers 204 on any path; bytes that are not HTTP/1.1 and oversized headers are answered 400 / 431 on the socket, which is then closed.",
  "Credentials, when authentication is on: an API key (`X-API-Key`, or `Authorization: Bearer <key>`) or a JWT bearer token, " +
    `with the "${INVOKE_SCOPE}" scope.`,
].join("\n\n");

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/** Objects with their keys sorted, recursively: the same document whatever order things were added in. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Json)[key])]),
  );
}

/** The OpenAPI 3.1 document of these routes (by default, every route the app serves). */
export function buildOpenApiDocument(routes: ApiRoute[] = API_ROUTES): Json {
  const document = {
    openapi: "3.1.1",
    info: {
      title: "Guichet API",
      version: packageVersion(),
      description: DESCRIPTION,
      license: { name: "MIT", identifier: "MIT" },
    },
    tags: [
      { name: "questions", description: "Questions and answers." },
      { name: "conversations", description: "Conversations kept for follow-up questions (GUICHET_THREADS)." },
      { name: "operations", description: "Probes, metrics and this document: open to all, not rate-limited." },
      { name: "web", description: "The chat page for citizens (GUICHET_WEB, on by default): open to all; its questions go to the routes above." },
    ],
    paths: pathsOf(routes),
    components: {
      schemas: componentSchemas(routes),
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "An API key (GUICHET_API_KEYS)." },
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A JWT (GUICHET_JWT_*), or an API key sent as a bearer token.",
        },
        metricsToken: { type: "http", scheme: "bearer", description: "The scraper's token (GUICHET_METRICS_TOKEN), when one is set." },
      },
      headers: HEADERS,
      parameters: {
        XRequestId: {
          name: "X-Request-Id",
          in: "header",
          description: "An id for the request (1 to 128 letters, digits, `_`, `.`, `-`): echoed, else replaced by a UUID.",
          schema: { type: "string" },
        },
        traceparent: {
          name: "traceparent",
          in: "header",
          description: "W3C Trace Context: the request's spans continue this trace.",
          schema: { type: "string" },
        },
      },
      responses: {
        NotFound: problemComponent("notFound"),
        MethodNotAllowed: problemComponent("methodNotAllowed"),
        CorsPreflight: { description: "CORS preflight (GUICHET_CORS_ORIGINS set).", headers: headersOf([]) },
        BadRequestBytes: malformedRequestResponse("badRequest"),
        HeadersTooLarge: malformedRequestResponse("headersTooLarge"),
      },
    },
    "x-guichet-fallbacks": {
      unknownPath: { description: "Any path not listed.", responses: { 404: ref("responses", "NotFound") } },
      unlistedMethod: { description: "A method a listed path does not answer.", responses: { 405: ref("responses", "MethodNotAllowed") } },
      preflight: { description: "OPTIONS on any path, with CORS on.", responses: { 204: ref("responses", "CorsPreflight") } },
      webFiles: {
        description: "GET or HEAD of the chat page's files (scripts, strings, styles, fonts, icons), with the page on: static files of any type, cached by the browser (304 when unchanged).",
        prefixes: WEB_FILE_PREFIXES,
        responses: {
          200: { description: "The file.", headers: headersOf([]), "x-guichet-any-body": true },
          304: { description: "Not modified since the browser's copy.", headers: headersOf([]) },
          404: ref("responses", "NotFound"),
        },
      },
      malformedRequest: {
        description: "Bytes Node's HTTP parser rejects, answered on the socket, which is then closed.",
        responses: { 400: ref("responses", "BadRequestBytes"), 431: ref("responses", "HeadersTooLarge") },
      },
    },
  };
  return sortedKeys(document) as Json;
}

let built: Json | undefined;

/** The document of every route the app serves, built once per process. */
export function openApiDocument(): Json {
  return (built ??= buildOpenApiDocument());
}

/** The document as docs/openapi.json holds it: pretty, keys sorted, a trailing newline. */
export function openApiJson(document: Json = openApiDocument()): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
