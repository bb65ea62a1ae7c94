import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted reply of the fake OpenAI-compatible server. */
export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
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
  close(): Promise<void>;
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
 * (with usage) unless a scripted reply is queued (429 with Retry-After, 500, malformed JSON...).
 */
export async function startScriptedOpenAI(dims = 32): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  const server: Server = createServer((req, res) => {
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
      const scripted = queue.shift();
      if (scripted) {
        res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers });
        res.end(typeof scripted.body === "string" ? scripted.body : JSON.stringify(scripted.body ?? { error: { message: "scripted" } }));
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
