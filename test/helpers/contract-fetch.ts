import { isGuichetResponse, recorderState, type RecordedResponse } from "./contract-recorder.js";

/**
 * Servers started in child processes (startInstance, spawned `server/main.ts`) are out of the recorder's reach:
 * what `fetch` receives from them is recorded here instead, from a clone of the response, the test's own copy
 * left untouched. Responses this process's servers sent are left to the server-side record.
 */
const WRAPPED = Symbol.for("guichet.contract-fetch");

export function watchFetch(): void {
  const current = globalThis.fetch as typeof fetch & { [WRAPPED]?: typeof fetch };
  if (current[WRAPPED]) return;
  const original = current;
  const watched = async (input: string | URL | Request, init?: RequestInit) => {
    const response = await original(input, init);
    try {
      observe(input, init, response);
    } catch {
      // Recording must never change what the test sees.
    }
    return response;
  };
  globalThis.fetch = Object.assign(watched, { [WRAPPED]: original }) as typeof fetch;
}

function observe(input: string | URL | Request, init: RequestInit | undefined, response: Response): void {
  const state = recorderState();
  const headers = Object.fromEntries([...response.headers].map(([name, value]) => [name.toLowerCase(), value]));
  if (!state.active || !isGuichetResponse(headers) || state.servedIds.has(headers["x-request-id"]!)) return;
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  readClone(response.clone(), { seenBy: "fetch", method, url: url.pathname + url.search, status: response.status, headers });
}

function readClone(clone: Response, record: Omit<RecordedResponse, "body" | "complete">): void {
  const state = recorderState();
  const chunks: Buffer[] = [];
  const reader = clone.body?.getReader();
  let cancelled = false;
  const read = {
    settled: Promise.resolve(),
    cancel: () => {
      cancelled = true;
      void reader?.cancel().catch(() => undefined);
    },
  };
  state.reading.add(read);
  read.settled = (async () => {
    let complete = true;
    try {
      for (;;) {
        const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
        if (done) break;
        chunks.push(Buffer.from(value));
      }
    } catch {
      complete = false;
    }
    state.reading.delete(read);
    state.finished.push({ ...record, body: Buffer.concat(chunks), complete: complete && !cancelled });
  })();
}
