/**
 * Zod schemas of every body the HTTP layer sends, registered as named OpenAPI components (server/openapi.ts).
 * Where a TypeScript type already describes a body, a compile-time assertion below ties the schema to it: change
 * one without the other and `tsc` fails.
 */
import { z } from "zod";
import type { ActionKind, ChunkAction } from "../corpus/chunk.js";
import type { NodeEvent } from "../graphs/configuration.js";
import type { AskResponse, RunEvent } from "../graphs/run.js";
import type { RefusalReason, Turn } from "../graphs/state.js";
import type { Citation } from "../tools/answer/types.js";
import { PII_TYPES } from "../tools/guard/pii.js";
import type { BreakerState } from "../tools/llm/resilience.js";
import type { UsageLine, UsageSummary } from "../tools/llm/usage.js";
import type { ThreadView } from "../tools/threads/threads.js";
import { HttpProblem, problems, type ProblemBody } from "./problems.js";
import type { RateLimitStatus } from "./rate-limit.js";
import type { ReadinessReport } from "./readiness.js";
import { invokeBodySchema } from "./schemas.js";
import { DEFAULT_CONFIGURATION } from "../graphs/configuration.js";

/** The schemas that become `components.schemas` of the document, each under its `id`. */
export const apiComponents = z.registry<{ id: string }>();

/** Registers a schema as a named component (with its description) and returns it. */
export function component<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  const described = description ? schema.describe(description) : schema;
  apiComponents.add(described, { id });
  return described;
}

// Compile-time ties between schemas and types.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
type Flat<T> = { [K in keyof T]: T[K] };

// ---- POST /invoke: request ----

export const InvokeRequestSchema = component(
  "InvokeRequest",
  invokeBodySchema(DEFAULT_CONFIGURATION.maxQuestionLength),
  `A question. \`question\` has at most ${DEFAULT_CONFIGURATION.maxQuestionLength} characters by default (GUICHET_MAX_QUESTION_LENGTH); the body at most 16 KB.`,
);

// ---- POST /invoke: response ----

export const CitationSchema = component(
  "Citation",
  z.object({
    n: z.number().int().min(1).describe("The `[n]` marker of the answer that cites this fiche."),
    id: z.string().describe("Fiche id, e.g. `F34752`."),
    title: z.string(),
    url: z.url(),
    date: z.string().describe("The fiche's last modification date."),
    snippet: z.string(),
  }),
  "One fiche cited by the answer.",
);
type CitationMatches = Assert<Equals<z.infer<typeof CitationSchema>, Citation>>;

export const ACTION_KINDS = ["online_service", "form", "simulator", "letter_template", "office"] as const;
type ActionKindMatches = Assert<Equals<(typeof ACTION_KINDS)[number], ActionKind>>;

export const ActionSchema = component(
  "Action",
  z.object({ title: z.string(), url: z.url(), kind: z.enum(ACTION_KINDS) }),
  "A link to act on, from a cited fiche: an online service, a form, a simulator, a letter template or an office.",
);
type ActionMatches = Assert<Equals<z.infer<typeof ActionSchema>, ChunkAction>>;

export const REFUSAL_REASONS = ["empty", "too_long", "control_characters", "injection", "harm", "fraud", "out_of_scope"] as const;
type RefusalReasonMatches = Assert<Equals<(typeof REFUSAL_REASONS)[number], RefusalReason>>;

const UsageLineSchema = z.object({
  node: z.string(),
  model: z.string(),
  prompt: z.string().optional().describe("Version of the prompt file, e.g. `answer.v1`."),
  calls: z.number().int().min(0),
  input_tokens: z.number().int().min(0),
  output_tokens: z.number().int().min(0),
  cost: z.number().min(0),
  estimated: z.boolean().describe("True when the provider sent no usage and tokens were estimated."),
  model_ms: z.number().min(0),
});
type UsageLineMatches = Assert<Equals<z.infer<typeof UsageLineSchema>, UsageLine>>;

export const UsageSchema = component(
  "Usage",
  z.object({
    by_node: z.array(UsageLineSchema),
    total: z.object({
      input_tokens: z.number().int().min(0),
      output_tokens: z.number().int().min(0),
      cost: z.number().min(0),
      estimated: z.boolean(),
      model_ms: z.number().min(0),
    }),
  }),
  "Tokens, cost and model time of the run's LLM calls, per node and model and in total.",
);
type UsageMatches = Assert<Equals<z.infer<typeof UsageSchema>, UsageSummary>>;

export const AskResponseSchema = component(
  "AskResponse",
  z.object({
    answer: z.string().describe("The answer, with `[n]` markers pointing to `citations`."),
    citations: z.array(CitationSchema),
    actions: z.array(ActionSchema),
    language: z.string().describe("Language of the reply."),
    blocked: z
      .union([z.literal(false), z.object({ reason: z.enum(REFUSAL_REASONS) })])
      .describe("`false`, or why the guard refused the question."),
    redacted: z.array(z.enum(PII_TYPES)).describe("Kinds of personal data removed from the question ([] when none)."),
    found: z.boolean().describe("False when the fiches did not answer the question."),
    degraded: z.array(z.string()).describe("Capabilities that fell back, e.g. `llm_unavailable`, `translation_unavailable`."),
    sources: z.object({ name: z.string(), snapshot_date: z.string(), licence: z.string() }),
    trace_id: z.string().regex(/^[0-9a-f]{32}$/),
    timings: z.record(z.string(), z.number()).describe("Milliseconds per node, and `total`."),
    usage: UsageSchema.optional().describe("Present only when an LLM is configured."),
    cache: z.enum(["exact", "semantic", "miss", "bypass"]),
    cache_similarity: z.number().min(0).max(1).optional().describe("On a semantic cache hit."),
    understood_as: z.string().optional().describe("In a conversation: the standalone question answered."),
    thread_id: z.string().optional(),
    variant: z.string().optional().describe("The experiment variant that answered, when an experiment runs (GUICHET_EXPERIMENT_FILE)."),
    run_id: z.uuid().optional().describe("Names this answer for `POST /feedback`; present when the run log recorded it."),
  }),
  "An answer: the body of `POST /invoke` and of the `final` event of `POST /stream`.",
);
type AskResponseMatches = Assert<Equals<z.infer<typeof AskResponseSchema>, AskResponse>>;

// ---- Problems (RFC 9457) ----

/**
 * One sample of every problem server/problems.ts builds: a factory added there without a sample here fails to
 * compile, so the document always lists every problem `type`.
 */
const FACTORY_SAMPLES: { [K in keyof typeof problems]: () => HttpProblem } = {
  invalidJson: () => problems.invalidJson("-"),
  unsupportedMediaType: () => problems.unsupportedMediaType(undefined),
  invalidRequest: () => problems.invalidRequest("-"),
  tooLarge: () => problems.tooLarge("-"),
  notFound: () => problems.notFound("GET", "/"),
  methodNotAllowed: () => problems.methodNotAllowed("GET", "/", ["POST"]),
  unauthorized: () => problems.unauthorized("-", "Bearer"),
  forbidden: () => problems.forbidden("-", "Bearer"),
  tooManyRequests: () => problems.tooManyRequests(1, 1),
  timeout: () => problems.timeout(1),
  unavailable: () => problems.unavailable("-"),
  overloaded: () => problems.overloaded("-", 1),
  notFoundThread: () => problems.notFoundThread("-"),
  threadsUnavailable: () => problems.threadsUnavailable(1),
  threadsOff: () => problems.threadsOff(),
  internal: () => problems.internal(),
  notFoundRun: () => problems.notFoundRun("run_id", "-"),
  alreadyRated: () => problems.alreadyRated("-"),
  feedbackUnavailable: () => problems.feedbackUnavailable(1),
  feedbackOff: () => problems.feedbackOff(),
};

/** What server/app.ts installClientErrorHandler writes itself, on the socket, for bytes Node cannot parse. */
const CLIENT_ERROR_PROBLEMS = {
  badRequest: new HttpProblem(400, "bad-request", "Bad request", "-"),
  headersTooLarge: new HttpProblem(431, "headers-too-large", "Request headers too large", "-"),
};

export type ProblemKind = keyof typeof problems | keyof typeof CLIENT_ERROR_PROBLEMS;

export interface ProblemKindInfo {
  status: number;
  type: string;
  title: string;
  /** Headers the problem always carries (e.g. `Allow` on 405). */
  headers: string[];
}

export const PROBLEM_KINDS: Record<ProblemKind, ProblemKindInfo> = Object.fromEntries(
  Object.entries({
    ...Object.fromEntries(Object.entries(FACTORY_SAMPLES).map(([kind, sample]) => [kind, sample()])),
    ...CLIENT_ERROR_PROBLEMS,
  }).map(([kind, problem]) => [
    kind,
    { status: problem.status, type: `urn:guichet:problem:${problem.slug}`, title: problem.title, headers: Object.keys(problem.headers) },
  ]),
) as Record<ProblemKind, ProblemKindInfo>;

const PROBLEM_TYPES = [...new Set(Object.values(PROBLEM_KINDS).map((p) => p.type))] as [string, ...string[]];

export const ProblemSchema = component(
  "Problem",
  z.object({
    type: z.enum(PROBLEM_TYPES).describe("What went wrong, as a URN: one per kind of problem."),
    title: z.string().describe("A short summary of the type."),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe("What is wrong with this request, in words."),
    instance: z.string().describe("The request's path, without the query string."),
    request_id: z.string().describe("The request's `X-Request-Id`."),
  }),
  "An error, as an RFC 9457 problem (`application/problem+json`).",
);
type ProblemMatches = Assert<Equals<Flat<Omit<z.infer<typeof ProblemSchema>, "type"> & { type: string }>, ProblemBody>>;

// ---- GET /health and GET /ready ----

const RateLimitStatusSchema = z.object({
  store: z.enum(["memory", "redis"]),
  shared: z.boolean().describe("Counts are shared by every instance (Redis reachable)."),
  degraded: z.boolean().describe("Redis is configured but unreachable: limits are counted per instance."),
});
type RateLimitStatusMatches = Assert<Equals<z.infer<typeof RateLimitStatusSchema>, RateLimitStatus>>;

export const HealthSchema = component(
  "Health",
  z.object({
    status: z.enum(["ok", "degraded"]).describe("`degraded` while the configured Redis is unreachable."),
    version: z.string(),
    uptime_s: z.number().int().min(0),
    index: z.object({
      source: z.string(),
      snapshot_date: z.string(),
      fiches: z.number().int().min(0),
      chunks: z.number().int().min(0),
    }),
    rate_limit: RateLimitStatusSchema.optional().describe("Present when rate limiting is on."),
  }),
  "Liveness: the version, the uptime and the index served.",
);

const BREAKER_STATES = ["closed", "open", "half_open", "isolated"] as const;
type BreakerStateMatches = Assert<Equals<(typeof BREAKER_STATES)[number], BreakerState>>;

const off = z.object({ status: z.literal("off") });
const checkSchemas = {
  index: z.union([
    z.object({ status: z.literal("ok"), fiches: z.number().int().min(0), chunks: z.number().int().min(1) }),
    z.object({ status: z.literal("down"), detail: z.string() }),
  ]),
  cache: z.union([
    z.object({ status: z.enum(["ok", "degraded"]), backend: z.enum(["memory", "redis"]), entries: z.number().int().min(0).optional() }),
    off,
  ]),
  redis: z.union([z.object({ status: z.literal("ok") }), z.object({ status: z.literal("degraded"), detail: z.string() }), off]),
  llm: z.union([z.object({ status: z.enum(["ok", "degraded"]), breaker: z.enum(BREAKER_STATES), detail: z.string().optional() }), off]),
  threads: z.union([
    z.object({ status: z.enum(["ok", "degraded"]), backend: z.enum(["sqlite", "postgres"]), detail: z.string().optional() }),
    off,
  ]),
  queue: z.union([
    z.object({
      status: z.literal("ok"),
      concurrency: z.number().int().min(0),
      active: z.number().int().min(0),
      queued: z.number().int().min(0),
      queue_length: z.number().int().min(0),
      shed: z.object({ queue_full: z.number().int().min(0), deadline: z.number().int().min(0) }),
    }),
    off,
  ]),
};

export const ReadinessSchema = component(
  "Readiness",
  z.object({
    ready: z.boolean().describe("True while the index is loaded (200); false answers 503."),
    checks: z.object(checkSchemas),
  }),
  "Readiness, for a load balancer: one check per dependency, `ok`, `degraded`, `down` or `off`.",
);
// readiness.ts types its checks loosely: the schema is one exact shape among those it allows.
type ReadinessMatches = Assert<z.infer<typeof ReadinessSchema> extends ReadinessReport ? true : false>;

// ---- /threads/{id} ----

export const ThreadIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/).describe("A conversation id: 1 to 128 letters, digits, `-` or `_`.");

const TurnSchema = z.object({
  question: z.string().describe("The question, as redacted by the guard."),
  understood_as: z.string(),
  answer: z.string(),
  citations: z.array(CitationSchema),
  language: z.string(),
  at: z.iso.datetime(),
});

export const ThreadSchema = component(
  "Thread",
  z.object({
    thread_id: z.string(),
    turns: z.array(TurnSchema),
    created_at: z.iso.datetime().nullable(),
    updated_at: z.iso.datetime().nullable(),
  }),
  "A conversation: its turns, oldest first.",
);
// The view never shows where a turn's answer was cached.
type ThreadMatches = Assert<Equals<z.infer<typeof ThreadSchema>, Flat<Omit<ThreadView, "turns"> & { turns: Array<Omit<Turn, "cache_key">> }>>>;

// ---- POST /stream events ----

export const ProgressEventSchema = component(
  "ProgressEvent",
  z.object({
    type: z.literal("progress"),
    node: z.string(),
    status: z.enum(["started", "finished"]),
    ms: z.number().min(0).optional().describe("On `finished`: milliseconds spent in the node."),
  }),
  "A step of the graph started or finished.",
);
export const TokenEventSchema = component(
  "TokenEvent",
  z.object({ type: z.literal("token"), text: z.string() }),
  "Answer text as it is written, made safe first.",
);
export const ResetEventSchema = component(
  "ResetEvent",
  z.object({ type: z.literal("reset"), reason: z.string().describe("e.g. `llm_unavailable`, `answer_rejected`.") }),
  "Drop the tokens received so far: the replacement follows as tokens.",
);
export const CitationsEventSchema = component(
  "CitationsEvent",
  z.object({ type: z.literal("citations"), citations: z.array(CitationSchema) }),
  "The citations of the answer, before `final`.",
);
type NodeEventMatches = Assert<
  Equals<z.infer<typeof ProgressEventSchema> | z.infer<typeof TokenEventSchema> | z.infer<typeof ResetEventSchema>, NodeEvent>
>;
type RunEventMatches = Assert<Equals<NodeEvent | z.infer<typeof CitationsEventSchema>, RunEvent>>;

/** Every `event:` name of `POST /stream`, with the schema of its `data:`. */
export const STREAM_EVENTS = {
  progress: ProgressEventSchema,
  token: TokenEventSchema,
  reset: ResetEventSchema,
  citations: CitationsEventSchema,
  final: AskResponseSchema,
  error: ProblemSchema,
};
/** The event that closes a stream that ran to its end. */
export const LAST_STREAM_EVENTS: Array<keyof typeof STREAM_EVENTS> = ["final", "error"];

// ---- GET /metrics and GET /openapi.json ----

export const MetricsSchema = z.string().describe("Prometheus text exposition format.");

export const OpenApiDocumentSchema = component(
  "OpenApiDocument",
  z.looseObject({
    openapi: z.string().regex(/^3\.1\.\d+$/),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  }),
  "This document.",
);

/** Every schema-type tie above (exported so that each counts as used; tsc checks them where they stand). */
export type SchemasMatchTheirTypes = [CitationMatches, ActionKindMatches, ActionMatches, RefusalReasonMatches, UsageLineMatches, UsageMatches, AskResponseMatches, ProblemMatches, RateLimitStatusMatches, BreakerStateMatches, ReadinessMatches, ThreadMatches, NodeEventMatches, RunEventMatches];
