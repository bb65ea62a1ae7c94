/** An error that maps to an RFC 9457 problem response. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = "HttpProblem";
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
}

export function problemBody(problem: HttpProblem, instance: string, requestId: string): ProblemBody {
  return {
    type: `urn:guichet:problem:${problem.slug}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance,
    request_id: requestId,
  };
}

export const problems = {
  invalidJson: (detail: string) => new HttpProblem(400, "invalid-json", "Invalid JSON", detail),
  unsupportedMediaType: (got: string | undefined) =>
    new HttpProblem(
      400,
      "unsupported-media-type",
      "Unsupported content type",
      `the request body must be JSON sent with "Content-Type: application/json" (got ${got ? `"${got}"` : "no content type"})`,
    ),
  invalidRequest: (detail: string) => new HttpProblem(400, "invalid-request", "Invalid request", detail),
  tooLarge: (limit: string) =>
    new HttpProblem(413, "payload-too-large", "Request body too large", `the request body must not exceed ${limit}`),
  notFound: (method: string, path: string) =>
    new HttpProblem(404, "not-found", "Not found", `no route for ${method} ${path}`),
  methodNotAllowed: (method: string, path: string, allow: string[]) =>
    new HttpProblem(405, "method-not-allowed", "Method not allowed", `${method} is not allowed on ${path}`, {
      Allow: allow.join(", "),
    }),
  unauthorized: (detail: string, wwwAuthenticate: string) =>
    new HttpProblem(401, "unauthorized", "Authentication required", detail, { "WWW-Authenticate": wwwAuthenticate }),
  forbidden: (detail: string, wwwAuthenticate: string) =>
    new HttpProblem(403, "forbidden", "Not allowed", detail, { "WWW-Authenticate": wwwAuthenticate }),
  tooManyRequests: (limit: number, retryAfterS: number) =>
    new HttpProblem(
      429,
      "rate-limited",
      "Too many requests",
      `at most ${limit} requests per minute for this caller; retry in ${retryAfterS} s`,
    ),
  timeout: (ms: number) =>
    new HttpProblem(504, "timeout", "Answer took too long", `no answer within ${ms} ms; please try again`),
  unavailable: (detail: string) => new HttpProblem(503, "unavailable", "Service unavailable", detail),
  overloaded: (detail: string, retryAfterS: number) =>
    new HttpProblem(503, "overloaded", "Too busy to answer now", `${detail}; retry in ${retryAfterS} s`, {
      "Retry-After": String(retryAfterS),
    }),
  notFoundThread: (threadId: string) =>
    new HttpProblem(404, "thread-not-found", "No such conversation", `no conversation "${threadId}" for this caller`),
  threadsUnavailable: (retryAfterS: number) =>
    new HttpProblem(503, "threads-unavailable", "Conversations unavailable", `the conversation store is unreachable; retry in ${retryAfterS} s (questions without a thread_id are answered)`, {
      "Retry-After": String(retryAfterS),
    }),
  threadsOff: () =>
    new HttpProblem(400, "threads-off", "Conversations are off", "this server keeps no conversations (GUICHET_THREADS=off): ask without thread_id"),
  internal: () =>
    new HttpProblem(500, "internal", "Internal error", "an unexpected error occurred; it has been logged"),
  notFoundRun: (field: "run_id" | "trace_id", value: string) =>
    new HttpProblem(404, "run-not-found", "No such answer", `no answer with ${field} "${value}" for this caller (unknown, expired or not yours)`),
  alreadyRated: (runId: string) =>
    new HttpProblem(409, "already-rated", "Answer already rated", `the answer of run "${runId}" was already rated by this caller; a rating is not changed`),
  feedbackUnavailable: (retryAfterS: number) =>
    new HttpProblem(503, "feedback-unavailable", "Feedback unavailable", `the feedback store is unreachable; retry in ${retryAfterS} s`, {
      "Retry-After": String(retryAfterS),
    }),
  feedbackOff: () =>
    new HttpProblem(404, "feedback-off", "Feedback is off", "this server keeps no runs to rate (GUICHET_FEEDBACK=off)"),
};
