import { performance } from "node:perf_hooks";

/** One HTTP request of the smoke test: `status` null when no response came. */
export interface Exchange {
  status: number | null;
  text: string;
  ms: number;
  error?: string;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no response within ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return `unreachable: ${e.message ?? String(error)}${cause ? ` (${cause})` : ""}`;
}

/** Sends one request and reads the whole body (a stream to its end), timing both. */
export async function exchange(url: string, init: RequestInit, timeoutMs: number): Promise<Exchange> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  } catch (error) {
    return { status: null, text: "", ms: performance.now() - started, error: describeFailure(error, timeoutMs) };
  }
}

/** The question routes' headers; the key goes in `Authorization`, as docs/security.md describes. */
export function questionHeaders(apiKey: string | undefined): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  };
}

export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { error: `the body is not JSON (${text.slice(0, 80)})` };
  }
}

/** The `final` event's data of a `POST /stream` body, or why there is none (with the status of an `error` event). */
export function finalEvent(text: string): { value?: unknown; error?: string; errorStatus?: number } {
  const events = text
    .split(/\r?\n\r?\n/)
    .map((block) => ({ event: /^event: ?(.*)$/m.exec(block)?.[1], data: /^data: ?(.*)$/m.exec(block)?.[1] }))
    .filter((e) => e.event !== undefined);
  const failed = events.find((e) => e.event === "error");
  if (failed) {
    const status = (parseJson(failed.data ?? "").value as { status?: unknown } | undefined)?.status;
    return { error: `the stream sent an error event: ${failed.data ?? ""}`, ...(typeof status === "number" ? { errorStatus: status } : {}) };
  }
  const final = events.find((e) => e.event === "final");
  if (!final) return { error: `the stream ended without a final event (${events.length} events)` };
  return parseJson(final.data ?? "");
}
