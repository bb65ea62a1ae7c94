import type { ClaimOutcome, ClaimSummary } from "../claims/types.js";
import type { Metrics, OutOfScopeMetrics } from "../metrics.js";

/** The figures of one group of questions: retrieval and answer metrics, and the claim-level means. */
export interface GroupFigures {
  retrieval: Metrics;
  /** Null when no question of the group has a reference answer. */
  claims: ClaimSummary | null;
}

/** One dataset split's results in an eval run. */
export interface SplitReport {
  /** "test", "dev", … (the dataset file's name without extension). */
  split: string;
  dataset: string;
  all: GroupFigures;
  by: {
    style: Record<string, GroupFigures>;
    lang: Record<string, GroupFigures>;
    class: Record<string, GroupFigures>;
  };
  out_of_scope: OutOfScopeMetrics;
  /** The worst questions by claim F1 (then faithfulness), worst first, at most 20. */
  worst: ClaimOutcome[];
}

/** What `npm run eval -- --report` writes as JSON, and what the HTML page shows. */
export interface EvalRunReport {
  version: 1;
  /** ISO time of the run. */
  date: string;
  /** Git commit of the code evaluated, when known. */
  commit: string | null;
  /** The claim checker: "offline" or "llm:<model>". */
  checker: string;
  /** The answerer's name (extractive, llm…), and the run-configuration variant when one was named. */
  answerer: string;
  variant?: string;
  /** The index snapshot date the answers came from (shown on the page). */
  snapshot_date: string;
  splits: SplitReport[];
}

/** One past run's headline figures, for the trend charts: flat `metric name → value` per split. */
export interface HistoryEntry {
  date: string;
  commit: string | null;
  checker: string;
  variant?: string;
  splits: Record<string, Record<string, number | null>>;
}
