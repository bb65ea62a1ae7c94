import type { AskResponse, FinalState } from "../../graphs/run.js";
import type { RunRecord } from "./types.js";

/**
 * What the run log keeps of one answered run. The question comes from the run's final state, where the guard
 * has already replaced personal data: the question as typed never reaches the log.
 */
export function runRecordOf(
  runId: string,
  response: AskResponse,
  state: Pick<FinalState, "question" | "understoodAs" | "passages">,
  caller: string,
  createdAt: number,
): RunRecord {
  return {
    runId,
    traceId: response.trace_id,
    caller,
    question: state.question,
    ...(state.understoodAs && state.understoodAs !== state.question ? { understoodAs: state.understoodAs } : {}),
    language: response.language,
    passageIds: (state.passages ?? []).map((p) => p.chunk.id),
    citedFiches: [...new Set(response.citations.map((c) => c.id))],
    answer: response.answer,
    ...(response.variant !== undefined ? { variant: response.variant } : {}),
    latencyMs: response.timings.total ?? 0,
    createdAt,
  };
}
