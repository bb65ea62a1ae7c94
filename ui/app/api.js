import { readEvents } from "./sse.js";

/** What went wrong with a call, in the page's own terms (the page words each kind; never shows a raw error). */
export class CallError extends Error {
  /**
   * @param {"rate_limited"|"network"|"offline"|"timeout"|"busy"|"invalid"|"too_long"|"thread_expired"|"auth"|"server"|"conflict"|"not_found"} kind
   * @param {{ retryAfterS?: number, detail?: string }} [extra]
   */
  constructor(kind, extra = {}) {
    super(kind);
    this.kind = kind;
    this.retryAfterS = extra.retryAfterS;
    this.detail = extra.detail;
  }
}

/** Relative URLs: the page works behind a path prefix (its <base> is the page's own folder). */
const url = (path) => new URL(path, document.baseURI).toString();

async function call(path, init) {
  if (navigator.onLine === false) throw new CallError("offline");
  try {
    return await fetch(url(path), { credentials: "same-origin", ...init });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new CallError(navigator.onLine === false ? "offline" : "network");
  }
}

/** A problem response (RFC 9457 JSON) as a CallError. */
async function problemOf(response) {
  let problem = {};
  try {
    problem = await response.json();
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  return problemError(response.status, problem, response.headers.get("Retry-After"));
}

export function problemError(status, problem, retryAfter) {
  const type = String(problem?.type ?? "");
  const retryAfterS = retryAfter !== null && retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (status === 429) return new CallError("rate_limited", { retryAfterS });
  if (status === 404 && type.endsWith(":thread-not-found")) return new CallError("thread_expired");
  if (status === 404) return new CallError("not_found");
  if (status === 409) return new CallError("conflict");
  if (status === 401 || status === 403) return new CallError("auth");
  if (status === 504 || type.endsWith(":timeout")) return new CallError("timeout");
  if (status === 503) return new CallError("busy", { retryAfterS });
  if (status === 413) return new CallError("too_long");
  if (status >= 400 && status < 500) return new CallError("invalid", { detail: typeof problem?.detail === "string" ? problem.detail : "" });
  return new CallError("server");
}

/**
 * Asks a question on `/stream` and hands each event to `onEvent` (progress, token, reset, citations); resolves
 * with the final response. A problem before the stream opens, an `error` event or a stream that ends without its
 * final event rejects with a CallError.
 */
export async function ask(body, onEvent, signal) {
  const response = await call("stream", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await problemOf(response);
  if (!response.body) throw new CallError("server");
  try {
    for await (const { event, data } of readEvents(response.body)) {
      if (event === "final") return data;
      if (event === "error") throw problemError(data?.status ?? 500, data, undefined);
      onEvent({ ...data, type: event });
    }
  } catch (error) {
    if (error instanceof CallError || error?.name === "AbortError") throw error;
    throw new CallError(navigator.onLine === false ? "offline" : "network");
  }
  throw new CallError("network");
}

/** The turns of a conversation kept on the server. */
export async function getThread(threadId) {
  const response = await call(`threads/${encodeURIComponent(threadId)}`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

/** Erases a conversation everywhere the server keeps it; an unknown or expired one is already gone. */
export async function eraseThread(threadId) {
  const response = await call(`threads/${encodeURIComponent(threadId)}`, { method: "DELETE" });
  if (response.ok) return;
  const error = await problemOf(response);
  if (error.kind !== "thread_expired" && error.kind !== "not_found") throw error;
}

/** Rates an answer (`POST /feedback`). */
export async function sendFeedback(body) {
  const response = await call("feedback", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await problemOf(response);
  return response.json();
}
