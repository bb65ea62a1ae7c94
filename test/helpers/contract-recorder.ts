import { ServerResponse } from "node:http";
// Real timers, whatever fake ones a test installs.
import { setTimeout as delay } from "node:timers/promises";

/** One response of the API as a client received it (or as this process's server sent it). */
export interface RecordedResponse {
  /** `server`: sent by an app in this process; `fetch`: received from another process. */
  seenBy: "server" | "fetch";
  method: string;
  /** The request target: path and query. */
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** False when the connection closed before the response ended (a client that went away). */
  complete: boolean;
}

interface Pending {
  record: RecordedResponse;
  chunks: Buffer[];
}

interface RecorderState {
  active: boolean;
  finished: RecordedResponse[];
  pending: Map<ServerResponse, Pending>;
  /** Request ids answered by this process's servers: fetch leaves those to the server-side record. */
  servedIds: Set<string>;
  /** Responses read by fetch whose body is still arriving. */
  reading: Set<{ settled: Promise<void>; cancel(): void }>;
}

// Jest gives each test file its own module registry but one `http` module per worker: the patch and its state
// live on the prototype, installed once, and are reset by each file.
const STATE = Symbol.for("guichet.contract-recorder");
type Patched = typeof ServerResponse.prototype & { [STATE]?: RecorderState };

export function recorderState(): RecorderState {
  const proto = ServerResponse.prototype as Patched;
  if (!proto[STATE]) {
    proto[STATE] = { active: false, finished: [], pending: new Map(), servedIds: new Set(), reading: new Set() };
    patch(proto, proto[STATE]);
  }
  return proto[STATE];
}

/** Guichet's responses, and only those: every one carries the `traceresponse` header its first middleware sets. */
export const isGuichetResponse = (headers: Record<string, string>) => headers.traceresponse !== undefined && headers["x-request-id"] !== undefined;

function headerRecord(source: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return headers;
}

const asBuffer = (chunk: unknown, encoding?: unknown): Buffer | undefined => {
  if (typeof chunk === "string") return Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return undefined;
};

function patch(proto: Patched, state: RecorderState): void {
  const { writeHead, write, end } = proto;
  const finish = (res: ServerResponse, complete: boolean) => {
    const pending = state.pending.get(res);
    if (!pending) return;
    state.pending.delete(res);
    pending.record.body = Buffer.concat(pending.chunks);
    pending.record.complete = complete;
    state.finished.push(pending.record);
  };
  proto.writeHead = function (this: ServerResponse, ...args: Parameters<typeof writeHead>) {
    const result = writeHead.apply(this, args);
    const req = this.req as (typeof this.req & { originalUrl?: string }) | undefined;
    const given = args.find((a) => a !== null && typeof a === "object" && !Array.isArray(a)) as Record<string, unknown> | undefined;
    const headers = headerRecord({ ...this.getHeaders(), ...given });
    if (state.active && req && isGuichetResponse(headers)) {
      state.servedIds.add(headers["x-request-id"]!);
      const record: RecordedResponse = {
        seenBy: "server",
        method: req.method ?? "GET",
        url: req.originalUrl ?? req.url ?? "/",
        status: this.statusCode,
        headers,
        body: Buffer.alloc(0),
        complete: false,
      };
      state.pending.set(this, { record, chunks: [] });
      this.once("close", () => finish(this, false));
    }
    return result;
  } as typeof writeHead;
  // The originals call writeHead themselves when the headers are not sent yet: the record exists once they return.
  proto.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    const result = (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    const buffer = asBuffer(chunk, rest[0]);
    if (buffer) state.pending.get(this)?.chunks.push(buffer);
    return result;
  } as typeof write;
  proto.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    const destroyed = this.destroyed;
    const result = (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    const buffer = typeof chunk === "function" ? undefined : asBuffer(chunk, rest[0]);
    if (buffer) state.pending.get(this)?.chunks.push(buffer);
    finish(this, !destroyed);
    return result;
  } as typeof end;
}

/** Starts recording this test file's responses (from scratch). */
export function startRecording(): void {
  const state = recorderState();
  state.active = true;
  state.finished = [];
  state.pending.clear();
  state.servedIds.clear();
  state.reading.clear();
}

/** The responses that ended since the last call. */
export function takeRecords(): RecordedResponse[] {
  return recorderState().finished.splice(0);
}

/**
 * Everything left, once fetch reads still under way have had `graceMs` to end: responses still open count as
 * cut short.
 */
export async function takeRemainingRecords(graceMs: number): Promise<RecordedResponse[]> {
  const state = recorderState();
  const reads = [...state.reading];
  if (reads.length > 0) {
    const timer = new AbortController();
    await Promise.race([Promise.all(reads.map((r) => r.settled)), delay(graceMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
    timer.abort();
  }
  for (const read of state.reading) read.cancel();
  await Promise.all(reads.map((r) => r.settled));
  for (const [res, pending] of state.pending) {
    state.pending.delete(res);
    state.finished.push({ ...pending.record, body: Buffer.concat(pending.chunks), complete: false });
  }
  return takeRecords();
}

export function stopRecording(): void {
  recorderState().active = false;
}
