import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted reply of the fake OpenAI-compatible server. */
export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  /** JSON body, or a string sent as is (malformed JSON...). */
  body?: unknown;
  /** Wait this long before answering (the client may give up meanwhile). */
  delayMs?: number;
  /** Never answer (until the client closes the connection). */
  hang?: boolean;
  /** Answer as Server-Sent Events: these deltas, then a usage chunk when `usage` is set, then [DONE]. */
  stream?: string[];
  /** Pause between streamed deltas. */
  chunkDelayMs?: number;
  /** Drop the connection after sending this many deltas (an endpoint dying mid-stream). */
  cutAfter?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export interface ScriptedServer {
  /** Base URL to give a client, ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Replies used before the default behaviour, first in first out. */
  queue: ScriptedReply[];
  /** Default reply of /v1/chat/completions when the queue is empty (a fixed cited answer with usage). */
  chat: (body: ChatRequestBody) => ScriptedReply;
  /** Paths of the requests whose connection the client closed before the reply was complete. */
  aborted: string[];
  close(): Promise<void>;
}

export interface ChatRequestBody {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content: string }>;
}

/** A non-streamed chat completion body. */
export function completion(content: string, model = "scripted-model", usage?: { prompt_tokens: number; completion_tokens: number }) {
  return {
    id: "chatcmpl-scripted",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

/** A chat reply: streamed when the request asks for a stream, plain otherwise. */
export function chatReply(
  body: ChatRequestBody,
  content: string,
  /** null: a reply without usage fields. */
  usage: { prompt_tokens: number; completion_tokens: number } | null = { prompt_tokens: 120, completion_tokens: 30 },
  extra: Partial<ScriptedReply> = {},
): ScriptedReply {
  if (body.stream) {
    const words = content.match(/\S+\s*/g) ?? [content];
    return { status: 200, stream: words, ...(usage ? { usage } : {}), ...extra };
  }
  return { status: 200, body: completion(content, body.model, usage ?? undefined), ...extra };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sendStream(res: ServerResponse, reply: ScriptedReply, model: string): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", ...reply.headers });
  const frame = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const base = { id: "chatcmpl-scripted", object: "chat.completion.chunk", created: 1_700_000_000, model };
  frame({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
  for (const [i, delta] of (reply.stream ?? []).entries()) {
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    if (res.destroyed) return;
    if (reply.cutAfter !== undefined && i >= reply.cutAfter) {
      // A clean FIN in the middle of the chunked body: the client reads what was sent, then sees the cut.
      res.socket?.end();
      return;
    }
    frame({ ...base, choices: [{ index: 0, delta: { content: delta }, finish_reason: null }] });
  }
  frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  if (reply.usage) {
    frame({ ...base, choices: [], usage: { ...reply.usage, total_tokens: reply.usage.prompt_tokens + reply.usage.completion_tokens } });
  }
  res.end("data: [DONE]\n\n");
}

/** Deterministic embedding of a text: words hashed into `dims` buckets, so texts sharing words are close. */
export function hashedEmbedding(text: string, dims = 32): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 2166136261;
    for (const ch of word) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619);
    v[Math.abs(h) % dims]! += 1;
  }
  return v;
}

/**
 * An OpenAI-compatible HTTP server on 127.0.0.1 for tests: `/v1/embeddings` answers hashed embeddings
 * (with usage) and `/v1/chat/completions` answers `chat(body)` (plain or SSE, with usage) unless a scripted reply
 * is queued (429 with Retry-After, 500, malformed JSON, delay, hang...).
 */
export async function startScriptedOpenAI(dims = 32): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  const aborted: string[] = [];
  const state = {
    chat: (body: ChatRequestBody): ScriptedReply => chatReply(body, "Le passeport coûte 86 € pour un adulte [1]."),
  };
  const server: Server = createServer((req, res) => {
    res.on("close", () => {
      if (!res.writableFinished) aborted.push(req.url ?? "");
    });
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => {
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      const isChat = req.url?.endsWith("/chat/completions") ?? false;
      const scripted = queue.shift() ?? (isChat ? state.chat(body as ChatRequestBody) : undefined);
      if (scripted) {
        void (async () => {
          if (scripted.hang) return;
          if (scripted.delayMs) await sleep(scripted.delayMs);
          if (res.destroyed) return;
          if (scripted.stream) return sendStream(res, scripted, (body as ChatRequestBody).model);
          res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers });
          res.end(typeof scripted.body === "string" ? scripted.body : JSON.stringify(scripted.body ?? { error: { message: "scripted" } }));
        })();
        return;
      }
      if (req.url?.endsWith("/embeddings")) {
        const input = (body as { input: string | string[] }).input;
        const texts = Array.isArray(input) ? input : [input];
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            object: "list",
            model: (body as { model: string }).model,
            data: texts.map((t, index) => ({ object: "embedding", index, embedding: hashedEmbedding(t, dims) })),
            usage: { prompt_tokens: texts.length, total_tokens: texts.length },
          }),
        );
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    queue,
    aborted,
    get chat() {
      return state.chat;
    },
    set chat(fn) {
      state.chat = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
