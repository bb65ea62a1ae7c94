import { join } from "node:path";
import { writeLine } from "../../cli/io.js";
import { ingestMain } from "../../cli/ingest.js";
import type { CalibrationResult } from "../claims/calibration.js";
import { cacheEvalMain } from "../run-cache-eval.js";
import { calibrationMain, formatCalibration } from "../run-calibration.js";
import { evalMain } from "../run-eval.js";
import { gateMain } from "../run-gate.js";
import { guardEvalMain } from "../run-guard-eval.js";
import { langEvalMain } from "../run-lang-eval.js";
import { recordingStream } from "./recording-stream.js";
import type { NightlyStep, StepIo } from "./runner.js";

/** Every source the fiches come from: the nightly measures the index the service is meant to run on. */
export const NIGHTLY_SOURCES = "vdd-npm,vdd-npm:professionnels,vdd-npm:associations,travail";
export const NIGHTLY_DATASETS = ["evals/datasets/dev.jsonl", "evals/datasets/test.jsonl"];

export interface NightlySettings {
  out: string;
  history: string;
  indexDir: string;
}

/** The index the nightly builds and reads, apart from the developer's (data/index) and the gate's (data/index-gate). */
function nightlyIo(io: StepIo, indexDir: string): StepIo {
  return { ...io, env: { ...io.env, GUICHET_SOURCES: NIGHTLY_SOURCES, GUICHET_INDEX_DIR: indexDir } };
}

/** The calibration as JSON into its file, and as the table on the console; the judge is asked only once. */
async function calibration(io: StepIo): Promise<number> {
  const json = recordingStream();
  const code = await calibrationMain(["--json"], { ...io, stdout: json });
  if (code !== 0) return code;
  await writeLine(io.stdout, json.text().trim());
  await writeLine(io.console, formatCalibration(JSON.parse(json.text()) as CalibrationResult[]));
  return 0;
}

/** What the nightly workflow runs, in its order; the gate comes last so that a regression leaves every other output written. */
export function nightlySteps({ out, history, indexDir }: NightlySettings): NightlyStep[] {
  return [
    { name: "ingest", output: "ingest.txt", run: (io) => ingestMain(["--dense", "--no-progress"], nightlyIo(io, indexDir)) },
    {
      name: "eval",
      output: "eval.txt",
      run: (io) =>
        evalMain(
          ["--dataset", ...NIGHTLY_DATASETS, "--report", join(out, "report"), "--history", history, "--checker", "auto", "--ablation"],
          nightlyIo(io, indexDir),
        ),
    },
    { name: "calibration", output: "calibration.json", run: calibration },
    { name: "guard", output: "guard.json", run: (io) => guardEvalMain(["--json"], io) },
    // The language and cache evals print tables only (they have no --json).
    { name: "lang", output: "lang.txt", run: (io) => langEvalMain([], nightlyIo(io, indexDir)) },
    { name: "cache", output: "cache.txt", run: (io) => cacheEvalMain([], nightlyIo(io, indexDir)) },
    { name: "gate", output: "gate.txt", run: (io) => gateMain([], io) },
  ];
}
