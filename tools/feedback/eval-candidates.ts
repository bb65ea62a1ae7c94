import type { FeedbackEntry } from "./types.js";

/**
 * A reviewed rating as a line of an eval dataset (evals/dataset.ts reads `id`, `question`, `gold`, `style`, `lang`
 * and ignores the rest). `unreviewed: true`: the line is a candidate, still to be checked before it joins a split.
 */
export interface EvalCandidate {
  id: string;
  question: string;
  gold: string[];
  style: "feedback";
  lang: string;
  unreviewed: true;
  rating: FeedbackEntry["rating"];
  reason?: FeedbackEntry["reason"];
  comment?: string;
  /** The question as asked, when `question` is the standalone form of a follow-up. */
  asked?: string;
  /** The fiches the rated answer cited. */
  cited: string[];
  variant?: string;
  feedback_id: string;
  run_id: string;
  rated_at: string;
}

/** Fiche ids of chunk ids (`F1234#2` → `F1234`), first seen first. */
const fichesOf = (passageIds: string[]) => [...new Set(passageIds.map((id) => id.split("#")[0]!))];

/**
 * The gold fiches of a rating: the reviewer's when given; for an answer rated up, the fiches it cited (else those
 * it was written from); none for an answer rated down that the reviewer did not correct.
 */
export function goldOf(entry: FeedbackEntry): string[] | undefined {
  if (entry.expectedFiches) return entry.expectedFiches;
  if (entry.rating !== "up") return undefined;
  const cited = entry.run.citedFiches.length > 0 ? entry.run.citedFiches : fichesOf(entry.run.passageIds);
  return cited.length > 0 ? cited : undefined;
}

/** The candidate of a reviewed rating, or why there is none. */
export function evalCandidateOf(entry: FeedbackEntry): { candidate: EvalCandidate } | { skipped: string } {
  const gold = goldOf(entry);
  if (!gold) return { skipped: `feedback ${entry.feedbackId}: no gold fiche (rated ${entry.rating}; review it with --expected-fiche)` };
  const { run } = entry;
  const question = run.understoodAs ?? run.question;
  if (question.trim() === "") return { skipped: `feedback ${entry.feedbackId}: the question was refused before anything was kept of it` };
  return {
    candidate: {
      id: `feedback-${entry.feedbackId}`,
      question,
      gold,
      style: "feedback",
      lang: run.language,
      unreviewed: true,
      rating: entry.rating,
      ...(entry.reason ? { reason: entry.reason } : {}),
      ...(entry.comment ? { comment: entry.comment } : {}),
      ...(run.understoodAs ? { asked: run.question } : {}),
      cited: run.citedFiches,
      ...(run.variant !== undefined ? { variant: run.variant } : {}),
      feedback_id: entry.feedbackId,
      run_id: run.runId,
      rated_at: new Date(entry.createdAt).toISOString(),
    },
  };
}
