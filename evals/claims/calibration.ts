import { z } from "zod";
import { readJsonLines } from "../jsonl.js";
import { cohenKappa } from "../stats.js";
import type { ClaimChecker } from "./types.js";

const PairSchema = z.object({
  id: z.string().min(1),
  split: z.string().min(1),
  chunk: z.string().min(1),
  passage: z.string().min(1),
  claim: z.string().min(1),
  entailed: z.boolean(),
  kind: z.string().min(1),
});
/** A (claim, passage) pair labelled by hand: does the passage alone entail the claim? */
export type CalibrationPair = z.infer<typeof PairSchema>;

export function loadCalibration(path: string): CalibrationPair[] {
  return readJsonLines(path, PairSchema);
}

export interface Agreement {
  n: number;
  /** Pairs the hand label says are entailed. */
  entailed: number;
  accuracy: number;
  kappa: number;
  /** Share of the entailed pairs the checker accepts, and of the others it refuses. */
  recall_entailed: number;
  recall_not_entailed: number;
}

export interface CalibrationResult {
  checker: string;
  all: Agreement;
  by_split: Record<string, Agreement>;
  /** Share of each kind of pair the checker labels right. */
  by_kind: Record<string, { n: number; accuracy: number }>;
  /** The LLM judge's tokens and cost, and the replies it had to be asked again for. */
  usage?: { input_tokens: number; output_tokens: number; cost: number; estimated: boolean; model_ms: number };
  invalid_replies?: number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function agreement(truth: boolean[], predicted: boolean[]): Agreement {
  const { accuracy, kappa } = cohenKappa(truth, predicted);
  const share = (want: boolean) => {
    const idx = truth.flatMap((t, i) => (t === want ? [i] : []));
    return idx.length ? round(idx.filter((i) => predicted[i] === want).length / idx.length) : 0;
  };
  return { n: truth.length, entailed: truth.filter(Boolean).length, accuracy: round(accuracy), kappa: round(kappa), recall_entailed: share(true), recall_not_entailed: share(false) };
}

/** Asks the checker about every pair and compares its verdicts with the hand labels. */
export async function calibrate(checker: ClaimChecker, pairs: CalibrationPair[]): Promise<CalibrationResult> {
  const verdicts = await Promise.all(pairs.map(async (p) => (await checker.check([p.claim], p.passage))[0] === "entailed"));
  const pick = (keep: (p: CalibrationPair) => boolean) => {
    const idx = pairs.flatMap((p, i) => (keep(p) ? [i] : []));
    return agreement(idx.map((i) => pairs[i]!.entailed), idx.map((i) => verdicts[i]!));
  };
  const by_kind: CalibrationResult["by_kind"] = {};
  for (const kind of [...new Set(pairs.map((p) => p.kind))].sort()) {
    const idx = pairs.flatMap((p, i) => (p.kind === kind ? [i] : []));
    by_kind[kind] = { n: idx.length, accuracy: round(idx.filter((i) => verdicts[i] === pairs[i]!.entailed).length / idx.length) };
  }
  return {
    checker: checker.name,
    all: pick(() => true),
    by_split: Object.fromEntries([...new Set(pairs.map((p) => p.split))].sort().map((split) => [split, pick((p) => p.split === split)])),
    by_kind,
  };
}
