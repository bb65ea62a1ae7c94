import { jest } from "@jest/globals";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareRuns } from "../evals/ab.js";
import { perQuestion } from "../evals/per-question.js";
import type { ClaimOutcome } from "../evals/claims/types.js";
import type { QuestionOutcome } from "../evals/metrics.js";
import { abMain } from "../evals/run-ab.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

const outcome = (gold: string[], ranking: string[], answered: boolean, facts?: string[], answer = ""): QuestionOutcome => ({ gold, ranking, answered, answer, style: "citizen", lang: "fr", ...(facts ? { facts } : {}) });

describe("paired comparison of two runs", () => {
  it("reads each question's value of each metric and compares the runs on the questions both define", () => {
    const items = [{ id: "a" }, { id: "b" }, { id: "c" }].map((i) => ({ ...i, question: "q", gold: [] }));
    const runA = { items, outcomes: [outcome(["F1"], ["F2", "F1"], true, ["86 €"], "86 €"), outcome(["F3"], [], false), outcome([], [], false)], claims: [] as ClaimOutcome[] };
    const values = perQuestion(runA);
    expect(values["recall@10"]).toEqual(new Map([["a", 1], ["b", 0]]));
    expect(values["mrr@10"]!.get("a")).toBe(0.5);
    expect(values.facts).toEqual(new Map([["a", 1]]));
    expect(values.out_of_scope_declined).toEqual(new Map([["c", 1]]));
    const runB = { ...runA, outcomes: [outcome(["F1"], ["F1"], true, ["86 €"], "rien"), outcome(["F3"], ["F3"], true), outcome([], [], true)] };
    const rows = compareRuns(runA, runB);
    const mrr = rows.find((r) => r.metric === "mrr@10")!;
    expect(mrr).toMatchObject({ n: 2, meanA: 0.25, meanB: 1 });
    expect(rows.find((r) => r.metric === "facts")).toMatchObject({ n: 1, meanA: 1, meanB: 0 });
    expect(rows.find((r) => r.metric === "out_of_scope_declined")).toMatchObject({ meanA: 1, meanB: 0 });
  });
});

describe("npm run ab on the fixture fiches", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let experiment: string;
  let dataset: string;

  beforeAll(() => {
    dir = tempDir("guichet-ab-");
    env = { GUICHET_INDEX_DIR: join(dir, "index"), GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35, LOG_LEVEL: "silent" };
    jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    experiment = join(dir, "variants.json");
    writeFileSync(experiment, JSON.stringify({ experiment: "t", variants: { control: { weight: 1, config: {} }, "top-k-1": { weight: 0, config: { top_k: 1, rerank: "none" } } } }));
    dataset = join(dir, "d.jsonl");
    writeFileSync(
      dataset,
      [
        { id: "d1", question: "Comment fonctionne le bonus-malus en assurance auto ?", gold: ["F2655"], facts: ["coefficient"] },
        { id: "d2", question: "Quel est le montant de la franchise ?", gold: ["F2706"] },
        { id: "d3", question: "recette de la tarte aux pommes", gold: [] },
      ].map((i) => JSON.stringify(i)).join("\n"),
    );
  });
  afterAll(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the paired figures of B against A, per metric", async () => {
    const io = memoryIo(env);
    expect(await abMain(["control", "top-k-1", "--dataset", dataset, "--experiment", experiment], io)).toBe(0);
    const out = io.out();
    expect(out).toContain(`control against top-k-1 on ${dataset} (3 questions)`);
    expect(out).toMatch(/^metric\s+n\s+control\s+top-k-1\s+B−A\s+95 % CI\s+p\s+effect$/m);
    expect(out).toMatch(/^recall@10\s+2\s+1\.000\s+\d\.\d{3}\s+[+-]\d\.\d{3}\s+\[/m);
    const json = memoryIo(env);
    expect(await abMain(["control", "control", "--dataset", dataset, "--experiment", experiment, "--json"], json)).toBe(0);
    const parsed = JSON.parse(json.out()) as { metrics: Array<{ metric: string; p: number; difference: { mean: number } }> };
    expect(parsed.metrics.every((m) => m.difference.mean === 0 && m.p === 1)).toBe(true);
    await expect(abMain(["control", "nope", "--dataset", dataset, "--experiment", experiment], memoryIo(env))).rejects.toThrow(/no variant "nope" \(there are: control, top-k-1\)/);
  });
});
