import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { CLAIM_METRICS } from "../claims/types.js";
import type { EvalRunReport, GroupFigures, HistoryEntry, SplitReport } from "./types.js";

const HistorySchema = z.array(
  z.object({
    date: z.string().min(1),
    commit: z.string().nullable(),
    checker: z.string(),
    variant: z.string().optional(),
    splits: z.record(z.string(), z.record(z.string(), z.number().nullable())),
  }),
);

/** The past runs kept in `file`, oldest first; none when the file does not exist yet. */
export function readHistory(file: string): HistoryEntry[] {
  if (!existsSync(file)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: the eval history is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = HistorySchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`);
    throw new Error(`${file}: not an eval history (a JSON array of runs): ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** Every claim and retrieval figure of a group under its own name; the claim count is `claims_n`. */
function flatten(figures: GroupFigures, split: SplitReport): Record<string, number | null> {
  const flat: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(figures.retrieval)) if (typeof value === "number" || value === null) flat[key] = value;
  flat.claims_n = figures.claims?.n ?? 0;
  for (const metric of CLAIM_METRICS) flat[metric] = figures.claims?.[metric] ?? null;
  flat.out_of_scope_n = split.out_of_scope.n;
  flat.out_of_scope_declined = split.out_of_scope.declined;
  return flat;
}

/** A run's headline figures, one flat record per split, as the trend charts read them. */
export function historyEntry(report: EvalRunReport): HistoryEntry {
  return {
    date: report.date,
    commit: report.commit,
    checker: report.checker,
    ...(report.variant ? { variant: report.variant } : {}),
    splits: Object.fromEntries(report.splits.map((split) => [split.split, flatten(split.all, split)])),
  };
}

/** Adds the run to the history file (created if missing) and keeps the last `keep` runs; returns what it wrote. */
export function appendHistory(file: string, report: EvalRunReport, keep = 100): HistoryEntry[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be a positive integer, not ${keep}`);
  const history = [...readHistory(file), historyEntry(report)].slice(-keep);
  mkdirSync(dirname(file), { recursive: true });
  // Written aside then renamed, so that an interrupted run never leaves half a history behind.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(history, null, 2)}\n`);
  renameSync(partial, file);
  return history;
}
