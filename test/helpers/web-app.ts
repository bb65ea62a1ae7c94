import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { pino } from "pino";
import type { Capabilities } from "../../graphs/capabilities.js";
import { buildGraph } from "../../graphs/guichet.js";
import { createApp, type AppOptions } from "../../server/app.js";
import { openFeedbackStore } from "../../tools/feedback/store.js";
import type { FeedbackStore } from "../../tools/feedback/types.js";
import { Threads } from "../../tools/threads/threads.js";
import { openThreadStore, type ThreadStore } from "../../tools/threads/store.js";
import { subsetCapabilities, tempDir } from "./fixtures.js";

const logger = pino({ level: "silent" });

export interface WebApp {
  url: string;
  feedback: FeedbackStore;
  threads: Threads;
  close(): Promise<void>;
}

/**
 * The app with the chat page on, conversations and feedback in SQLite files of a temporary folder, listening on a
 * free port of 127.0.0.1 (the browser needs a real socket).
 */
export async function startWebApp(extra: Partial<AppOptions> & { capabilities?: Capabilities } = {}): Promise<WebApp> {
  const dir = tempDir("guichet-web-");
  const capabilities = extra.capabilities ?? subsetCapabilities();
  const store: ThreadStore = (await openThreadStore(
    { backend: "sqlite", sqlitePath: join(dir, "threads.sqlite"), schema: "x", retentionMs: 86_400_000 },
    logger,
  ))!;
  const threads = new Threads(store, buildGraph({ checkpointer: store.saver }), 86_400_000, async () => {});
  const feedback = (await openFeedbackStore(
    { backend: "sqlite", sqlitePath: join(dir, "feedback.sqlite"), schema: "x", retentionMs: 86_400_000 },
    logger,
    { sweepEveryMs: 0 },
  ))!;
  const app = createApp({
    graph: buildGraph(),
    logger,
    maxQuestionLength: 500,
    topK: 10,
    maxPerFiche: 2,
    requestTimeoutMs: 10_000,
    version: "test",
    threads,
    feedback,
    web: {},
    ...extra,
    capabilities,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    feedback,
    threads,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await feedback.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
