import { jest } from "@jest/globals";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliIo } from "../cli/io.js";
import type { Report } from "../evals/metrics.js";
import { evalMain } from "../evals/run-eval.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

let dir: string;
let datasetPath: string;
let env: NodeJS.ProcessEnv;

const ITEMS = [
  { id: "i1", question: "Comment fonctionne le bonus-malus en assurance auto ?", gold: ["F2655"], facts: ["coefficient"], style: "title", lang: "fr" },
  { id: "i2", question: "Quel est le montant de la franchise ?", gold: ["F2706"], facts: ["150 €"], style: "title", lang: "fr" },
  { id: "i3", question: "on m'a volé ma voiture cette nuit, je fais quoi ?", gold: ["F21138", "F2685"] },
  { id: "i4", question: "recette de la tarte aux pommes", gold: [], style: "out-of-scope", lang: "fr" },
];

function streams(): { io: CliIo; out: () => string; err: () => string } {
  const io = memoryIo(env);
  return { io, out: io.out, err: io.err };
}

beforeAll(() => {
  dir = tempDir("guichet-eval-run-");
  env = { GUICHET_INDEX_DIR: join(dir, "index"), GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35, LOG_LEVEL: "silent" };
  datasetPath = join(dir, "insurance.jsonl");
  writeFileSync(datasetPath, `${ITEMS.map((i) => JSON.stringify(i)).join("\n")}\n`);
  // Loading the index draws a progress bar on the process' standard error.
  jest.spyOn(process.stderr, "write").mockImplementation(() => true);
});

afterAll(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe("evalMain", () => {
  it("--json prints one JSON report on standard output", async () => {
    const run = streams();
    expect(await evalMain(["--dataset", datasetPath, "--json"], run.io)).toBe(0);
    const out = run.out();
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trimEnd().split("\n")).toHaveLength(1);
    const report = JSON.parse(out) as Report;
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(["n", "recall@1", "recall@5", "recall@10", "mrr@10", "facts", "answered", "out_of_scope", "by"]),
    );
    expect(report.n).toBe(3);
    for (const key of ["recall@1", "recall@5", "recall@10", "mrr@10"] as const) {
      expect(report[key]).toBeGreaterThanOrEqual(0);
      expect(report[key]).toBeLessThanOrEqual(1);
    }
    // Retrieval on these 12 fiches puts every gold fiche in the top 5.
    expect(report["recall@5"]).toBe(1);
    expect(report["recall@1"]).toBeLessThanOrEqual(report["recall@5"]);
    expect(report["recall@5"]).toBeLessThanOrEqual(report["recall@10"]);
    expect(typeof report.facts).toBe("number");
    expect(report.out_of_scope).toEqual({ n: 1, declined: 1 });
    // Out-of-scope questions are left out of the groups; a missing style is "unspecified", a missing lang "fr".
    expect(Object.keys(report.by.style)).toEqual(["title", "unspecified"]);
    expect(report.by.style.title!.n).toBe(2);
    expect(report.by.style.unspecified!.n).toBe(1);
    expect(Object.keys(report.by.lang)).toEqual(["fr"]);
    expect(report.by.lang.fr!.n).toBe(3);
  });

  it("prints the dataset path and the table without --json", async () => {
    const run = streams();
    expect(await evalMain(["--dataset", datasetPath], run.io)).toBe(0);
    const lines = run.out().split("\n");
    expect(lines[0]).toBe(datasetPath);
    expect(lines[1]).toBe("");
    expect(lines[2]).toMatch(/^group\s+n\s+R@1\s+R@5\s+R@10\s+MRR@10\s+nDCG@10\s+facts\s+facts\|ret\s+1st-cit\s+1st\|ret\s+answered$/);
    expect(run.out()).toMatch(/^all\s+3\s/m);
    expect(run.out()).toMatch(/^style=unspecified\s+1\s/m);
    expect(run.out()).toContain("out of scope: 1 questions, declined 1.000");
  });

  it("requires --dataset", async () => {
    const run = streams();
    await expect(evalMain([], run.io)).rejects.toMatchObject({ code: "commander.missingMandatoryOptionValue" });
    expect(run.err()).toContain("--dataset");
  });

  it("fails with the line number of a bad dataset line", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify(ITEMS[0])}\n{"id":"x","question":"q"}\n`);
    await expect(evalMain(["--dataset", bad], streams().io)).rejects.toThrow(`${bad}:2: gold: `);
  });
});
