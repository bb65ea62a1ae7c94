import { z } from "zod";
import { questionLength } from "../nodes/guard.js";
import { FEEDBACK_REASONS, RATINGS } from "../tools/feedback/types.js";

export const MAX_COMMENT_LENGTH = 500;

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * Body of `POST /feedback`. Unknown fields are ignored, as for `/invoke`. No transform: the schema is also
 * written out as JSON Schema for the OpenAPI document (trimming and redaction happen in the route).
 */
export const FeedbackRequestSchema = z
  .object({
    run_id: z.uuid({ error: "must be the run_id of an answer (a UUID)" }).optional().describe("The `run_id` of the answer rated."),
    trace_id: z
      .string({ error: "must be a string" })
      .regex(TRACE_ID, "must be the trace_id of an answer (32 lower-case hexadecimal digits)")
      .optional()
      .describe("The `trace_id` of the answer rated (its caller's latest run with that trace)."),
    rating: z.enum(RATINGS, { error: (issue) => (issue.input === undefined ? "is required" : 'must be "up" or "down"') }),
    reason: z
      .enum(FEEDBACK_REASONS, { error: `must be one of ${FEEDBACK_REASONS.join(", ")}` })
      .optional()
      .describe("Why, from a closed list."),
    comment: z
      .string({ error: "must be a string" })
      .refine((c) => questionLength(c.trim()) <= MAX_COMMENT_LENGTH, `must be at most ${MAX_COMMENT_LENGTH} characters`)
      .optional()
      .describe(`Free text, at most ${MAX_COMMENT_LENGTH} characters once trimmed; personal data is replaced before it is stored.`),
  })
  // Checked even when other fields are wrong: every problem of the body is named at once.
  .superRefine((body, ctx) => {
    const given = (body.run_id !== undefined ? 1 : 0) + (body.trace_id !== undefined ? 1 : 0);
    if (given === 0) ctx.addIssue({ code: "custom", path: ["run_id"], message: "is required (or trace_id)" });
    if (given === 2) ctx.addIssue({ code: "custom", path: ["trace_id"], message: "give run_id or trace_id, not both" });
  }, { when: (payload) => typeof payload.value === "object" && payload.value !== null })
  .describe("A rating of one answer, named by exactly one of `run_id` and `trace_id`.");

export type FeedbackRequest = z.infer<typeof FeedbackRequestSchema>;

/** Body of the `201` answer of `POST /feedback`. */
export const FeedbackResponseSchema = z
  .object({
    feedback_id: z.uuid(),
    run_id: z.uuid().describe("The run rated (also when it was named by its trace_id)."),
    rating: z.enum(RATINGS),
  })
  .describe("The rating recorded.");

export type FeedbackResponse = z.infer<typeof FeedbackResponseSchema>;
