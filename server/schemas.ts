import { z } from "zod";
import { questionLength } from "../nodes/guard.js";

/** Body of `POST /invoke`. */
export function invokeBodySchema(maxQuestionLength: number) {
  return z.object({
    question: z
      .string({
        error: (issue) => (issue.input === undefined ? "is required" : "must be a string"),
      })
      .refine((q) => questionLength(q) <= maxQuestionLength, {
        message: `must be at most ${maxQuestionLength} characters`,
      }),
    language: z
      .string({ error: "must be a string" })
      .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$/, "must be a language code such as \"fr\" or \"en\"")
      .optional(),
    thread_id: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .max(128, "must be at most 128 characters")
      .optional(),
  });
}

export type InvokeBody = z.infer<ReturnType<typeof invokeBodySchema>>;

/** One readable sentence from zod issues: `question: must be a string; language: ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}
