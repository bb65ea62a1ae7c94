import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { writeLine, type CliIo } from "../../cli/io.js";
import { recordingStream } from "./recording-stream.js";

/** A step's streams: standard output goes to the step's file, standard error to the console and the step's log. */
export interface StepIo extends CliIo {
  /** The console's standard output, for what the reader of the run should see (a table, say). */
  console: Writable;
}

export interface NightlyStep {
  name: string;
  /** The file of the output folder that receives the step's standard output. */
  output: string;
  /** Resolves to the step's exit code, 0 when it passed. */
  run(io: StepIo): Promise<number>;
}

export type StepStatus = "ok" | "failed" | "skipped" | "not run";

export interface StepResult {
  name: string;
  status: StepStatus;
  /** Null when the step did not run. */
  seconds: number | null;
  /** The file holding its standard output, when it ran. */
  output: string | null;
  /** Why it failed: its exit code or the error it threw. */
  reason?: string;
}

export interface RunnerOptions {
  out: string;
  io: CliIo;
  skip?: string[];
  /** Milliseconds; tests pass a fake clock. */
  now?: () => number;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function runStep(step: NightlyStep, { out, io, now = () => performance.now() }: RunnerOptions): Promise<StepResult> {
  const stdout = recordingStream();
  const stderr = recordingStream(io.stderr);
  const started = now();
  let reason: string | undefined;
  try {
    const code = await step.run({ ...io, stdout, stderr, console: io.stdout });
    if (code !== 0) reason = `exit code ${code}`;
  } catch (error) {
    reason = errorMessage(error);
    await writeLine(stderr, `error: ${reason}`);
  }
  const seconds = (now() - started) / 1000;
  const output = join(out, step.output);
  writeFileSync(output, stdout.text());
  if (stderr.text() !== "") writeFileSync(join(out, `${step.name}.log`), stderr.text());
  return { name: step.name, status: reason === undefined ? "ok" : "failed", seconds, output, ...(reason === undefined ? {} : { reason }) };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}

/** The one line printed when a step ends. */
export function stepLine(result: StepResult): string {
  const time = formatSeconds(result.seconds ?? 0);
  return result.status === "failed"
    ? `nightly: step "${result.name}" FAILED after ${time}: ${result.reason} (output: ${result.output})`
    : `nightly: step "${result.name}" ok in ${time} (output: ${result.output})`;
}

/**
 * Runs the steps in order, each one's standard output into its file of `out`, and stops at the first failure:
 * the steps after it are reported as not run. A skipped step is passed over without counting as a failure.
 */
export async function runSteps(steps: NightlyStep[], options: RunnerOptions): Promise<StepResult[]> {
  const skip = new Set(options.skip ?? []);
  mkdirSync(options.out, { recursive: true });
  const results: StepResult[] = [];
  for (const step of steps) {
    const stopped = results.some((r) => r.status === "failed");
    if (stopped || skip.has(step.name)) {
      results.push({ name: step.name, status: stopped ? "not run" : "skipped", seconds: null, output: null });
      continue;
    }
    const result = await runStep(step, options);
    results.push(result);
    await writeLine(options.io.stdout, stepLine(result));
  }
  return results;
}

/** The end-of-run table (each step, its duration, its result) and the verdict naming the failed step. */
export function formatSummary(results: StepResult[]): string {
  const ran = results.filter((r) => r.seconds !== null);
  const total = ran.reduce((sum, r) => sum + (r.seconds ?? 0), 0);
  const rows = [
    ...results.map((r) => [r.name, r.seconds === null ? "-" : formatSeconds(r.seconds), r.status === "failed" ? `FAILED: ${r.reason}` : r.status]),
    ["total", formatSeconds(total), ""],
  ];
  const nameWidth = Math.max(4, ...rows.map((r) => r[0]!.length));
  const timeWidth = Math.max(4, ...rows.map((r) => r[1]!.length));
  const line = ([name, time, result]: string[]) => `  ${name!.padEnd(nameWidth)}  ${time!.padStart(timeWidth)}  ${result}`.trimEnd();
  const failed = results.find((r) => r.status === "failed");
  const skipped = results.filter((r) => r.status === "skipped").length;
  const verdict = failed
    ? `nightly FAILED at step "${failed.name}": ${failed.reason}; see ${failed.output}`
    : `nightly passed: ${ran.length} step${ran.length === 1 ? "" : "s"} ok${skipped ? `, ${skipped} skipped` : ""}`;
  return ["nightly summary", line(["step", "time", "result"]), ...rows.map(line), "", verdict].join("\n");
}
