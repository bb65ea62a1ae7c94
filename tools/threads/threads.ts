import type { GuichetGraph } from "../../graphs/guichet.js";
import type { Turn } from "../../graphs/state.js";
import type { ThreadStore } from "./store.js";

/** No such thread for this caller (absent, expired, or someone else's): always the same 404, never a hint. */
export class ThreadNotFoundError extends Error {
  constructor(readonly threadId: string) {
    super(`no conversation "${threadId}" for this caller`);
    this.name = "ThreadNotFoundError";
  }
}

export const THREAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface ThreadView {
  thread_id: string;
  turns: Turn[];
  created_at: string | null;
  updated_at: string | null;
}

/**
 * Conversations over the checkpointer: who owns each (the caller that asked its first question), their turns,
 * erasure everywhere they are kept (checkpoints and the cache entries their answers made), and expiry after
 * the retention.
 */
export class Threads {
  constructor(
    readonly store: ThreadStore,
    readonly graph: GuichetGraph,
    readonly retentionMs: number,
    private readonly eraseCached: (keys: string[]) => Promise<void> = async () => undefined,
  ) {}

  private async read(threadId: string): Promise<{ owner?: string; turns: Turn[] } | undefined> {
    await this.store.check();
    const snapshot = await this.graph.getState({ configurable: { thread_id: threadId } });
    const values = snapshot.values as { owner?: string; turns?: Turn[] } | undefined;
    if (!values || !values.owner) return undefined;
    return { owner: values.owner, turns: values.turns ?? [] };
  }

  private expired(turns: Turn[]): boolean {
    const last = turns.at(-1)?.at;
    return last !== undefined && Date.now() - Date.parse(last) > this.retentionMs;
  }

  /** Before a run of the thread: the store answers, the thread is the caller's or new; an expired one is erased first. */
  async prepare(threadId: string, owner: string): Promise<void> {
    const thread = await this.read(threadId);
    if (!thread) return;
    if (thread.owner !== owner) throw new ThreadNotFoundError(threadId);
    if (this.expired(thread.turns)) await this.wipe(threadId, thread.turns);
  }

  async get(threadId: string, owner: string): Promise<ThreadView> {
    const thread = await this.read(threadId);
    if (!thread || thread.owner !== owner) throw new ThreadNotFoundError(threadId);
    if (this.expired(thread.turns)) {
      await this.wipe(threadId, thread.turns);
      throw new ThreadNotFoundError(threadId);
    }
    return {
      thread_id: threadId,
      turns: thread.turns.map(({ cache_key: _key, ...turn }) => turn),
      created_at: thread.turns[0]?.at ?? null,
      updated_at: thread.turns.at(-1)?.at ?? null,
    };
  }

  async erase(threadId: string, owner: string): Promise<void> {
    const thread = await this.read(threadId);
    if (!thread || thread.owner !== owner) throw new ThreadNotFoundError(threadId);
    await this.wipe(threadId, thread.turns);
  }

  /** Erases every thread whose last checkpoint is older than the retention; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    await this.store.check();
    const latest = new Map<string, number>();
    for await (const tuple of this.store.saver.list({})) {
      const threadId = tuple.config.configurable?.thread_id as string | undefined;
      if (!threadId) continue;
      const at = Date.parse(tuple.checkpoint.ts);
      if (!Number.isNaN(at)) latest.set(threadId, Math.max(latest.get(threadId) ?? 0, at));
    }
    let erased = 0;
    for (const [threadId, at] of latest) {
      if (now - at <= this.retentionMs) continue;
      const thread = await this.read(threadId);
      await this.wipe(threadId, thread?.turns ?? []);
      erased += 1;
    }
    return erased;
  }

  private async wipe(threadId: string, turns: Turn[]): Promise<void> {
    await this.store.saver.deleteThread(threadId);
    await this.store.scrub();
    await this.eraseCached(turns.map((t) => t.cache_key).filter((k): k is string => k !== undefined));
  }
}
