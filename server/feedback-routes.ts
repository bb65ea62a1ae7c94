import { randomUUID } from "node:crypto";
import type { Express, Request, RequestHandler } from "express";
import type { AskResponse, FinalState, RunOptions } from "../graphs/run.js";
import { redactedComment } from "../tools/feedback/comment.js";
import { countRating, countRunLogFailure } from "../tools/feedback/metrics.js";
import { runRecordOf } from "../tools/feedback/run-record.js";
import { FeedbackStoreUnavailableError, type FeedbackStore, type RateOutcome, type RunRef } from "../tools/feedback/types.js";
import { FeedbackRequestSchema, type FeedbackResponse } from "./feedback-schemas.js";
import { problems } from "./problems.js";
import { describeIssues } from "./schemas.js";
import { ownerOf } from "./thread-routes.js";

/** What a run of `/invoke` or `/stream` needs to be logged: the final state to read, then the response to record. */
export interface RunLogging {
  options: Pick<RunOptions, "inspect">;
  /** The response with its `run_id` once the run is logged; without it when the log failed (warned and counted). */
  record(response: AskResponse): Promise<AskResponse>;
}

/**
 * The run log of one request. The caller is the request's principal, so that only the same API key or JWT subject
 * can rate the run (every anonymous caller is one "anonymous" caller).
 */
export function runLogging(store: FeedbackStore | undefined, req: Request): RunLogging {
  if (!store) return { options: {}, record: async (response) => response };
  let state: FinalState | undefined;
  return {
    options: { inspect: (final) => void (state = final) },
    async record(response) {
      if (!state) return response;
      const run = runRecordOf(randomUUID(), response, state, ownerOf(req), Date.now());
      try {
        await store.recordRun(run);
        return { ...response, run_id: run.runId };
      } catch (error) {
        countRunLogFailure();
        const cause = (error as { cause?: Error }).cause ?? (error as Error);
        req.log.warn({ err: { message: cause.message } }, "feedback: run not logged; answered without run_id");
        return response;
      }
    },
  };
}

/** `POST /feedback`: the caller rates one of its own recent answers, once. */
export function addFeedbackRoutes(app: Express, store: FeedbackStore | undefined, before: RequestHandler[]): void {
  app.post("/feedback", ...before, async (req, res) => {
    if (!store) throw problems.feedbackOff();
    if (req.body === null || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw problems.invalidRequest("the request body must be a JSON object");
    }
    const parsed = FeedbackRequestSchema.safeParse(req.body);
    if (!parsed.success) throw problems.invalidRequest(describeIssues(parsed.error));
    const { run_id: runId, trace_id: traceId, rating, reason } = parsed.data;
    const ref: RunRef = runId !== undefined ? { runId: runId.toLowerCase() } : { traceId: traceId! };
    const comment = parsed.data.comment === undefined ? undefined : redactedComment(parsed.data.comment);
    let outcome: RateOutcome;
    try {
      outcome = await store.rate(ref, ownerOf(req), { rating, ...(reason ? { reason } : {}), ...(comment ? { comment } : {}) });
    } catch (error) {
      if (error instanceof FeedbackStoreUnavailableError) throw problems.feedbackUnavailable(error.retryAfterS);
      throw error;
    }
    if (outcome.status === "unknown_run") {
      throw "runId" in ref ? problems.notFoundRun("run_id", ref.runId) : problems.notFoundRun("trace_id", ref.traceId);
    }
    if (outcome.status === "already_rated") throw problems.alreadyRated(outcome.runId);
    countRating(rating, reason);
    const body: FeedbackResponse = { feedback_id: outcome.feedbackId, run_id: outcome.runId, rating };
    res.status(201).json(body);
  });
}
