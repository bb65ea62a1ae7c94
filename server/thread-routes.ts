import type { Express, Request, RequestHandler } from "express";
import { ThreadNotFoundError, THREAD_ID, type Threads } from "../tools/threads/threads.js";
import { ThreadStoreUnavailableError } from "../tools/threads/store.js";
import { HttpProblem, problems } from "./problems.js";

/** The owner of the threads a request may touch: its principal (every anonymous caller is one owner). */
export function ownerOf(req: Request): string {
  return req.principal?.id ?? "anonymous";
}

/** A thread id from a request, or a 400 problem saying what is wrong with it. */
export function checkedThreadId(value: unknown, where: string): string {
  if (typeof value !== "string" || !THREAD_ID.test(value)) {
    throw problems.invalidRequest(`${where}: must be 1 to 128 letters, digits, "-" or "_"`);
  }
  return value;
}

/** Thread errors as problems: someone else's or expired → 404, store down → 503 with Retry-After. */
export function threadProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof ThreadNotFoundError) return problems.notFoundThread(error.threadId);
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ThreadStoreUnavailableError) return problems.threadsUnavailable(e.retryAfterS);
  }
  return undefined;
}

/** `GET /threads/:id` (the turns) and `DELETE /threads/:id` (erasure), for the thread's owner only. */
export function addThreadRoutes(app: Express, threads: Threads | undefined, guarded: RequestHandler[]): void {
  const run = (handler: (req: Request, threadId: string, threads: Threads) => Promise<unknown>): RequestHandler =>
    async (req, res, next) => {
      try {
        const threadId = checkedThreadId(req.params.id, "thread id");
        if (!threads) throw problems.threadsOff();
        const body = await handler(req, threadId, threads);
        if (body === undefined) res.status(204).end();
        else res.json(body);
      } catch (error) {
        next(threadProblem(error) ?? error);
      }
    };
  app.get("/threads/:id", ...guarded, run((req, id, t) => t.get(id, ownerOf(req))));
  app.delete(
    "/threads/:id",
    ...guarded,
    run(async (req, id, t) => {
      await t.erase(id, ownerOf(req));
      return undefined;
    }),
  );
}
