import { BrokenCircuitError, isTaskCancelledError } from "cockatiel";

export type UnavailableReason = "breaker_open" | "deadline" | "failed" | "rejected";

/** An LLM call gave up: the caller falls back to its offline path and reports `llm_unavailable`. */
export class LlmUnavailableError extends Error {
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LlmUnavailableError";
  }
}

interface HttpLikeError {
  status?: unknown;
  headers?: unknown;
  name?: unknown;
}

/** HTTP status of a provider error, when it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as HttpLikeError | null)?.status;
  return typeof status === "number" ? status : undefined;
}

export function isAbort(error: unknown): boolean {
  const name = (error as HttpLikeError | null)?.name;
  return name === "AbortError" || (error instanceof Error && /\babort(ed)?\b/i.test(error.message) && statusOf(error) === undefined && !isTaskCancelledError(error));
}

/**
 * Worth another attempt: rate limits, server errors, timeouts, network failures and unreadable replies.
 * Other 4xx (bad request, auth, not found) would fail the same way again.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof BrokenCircuitError || error instanceof LlmUnavailableError) return false;
  if (isTaskCancelledError(error)) return true;
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status >= 500;
  return !isAbort(error);
}

/** `Retry-After` of a provider error in milliseconds (delta-seconds or an HTTP date), if any. */
export function retryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const headers = (error as HttpLikeError | null)?.headers;
  let value: string | null | undefined;
  if (headers && typeof (headers as Headers).get === "function") value = (headers as Headers).get("retry-after");
  else if (headers && typeof headers === "object") value = (headers as Record<string, string | undefined>)["retry-after"];
  return parseRetryAfter(value ?? undefined, now);
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
