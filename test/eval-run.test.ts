import { jest } from "@jest/globals";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliIo } from "../cli/io.js";
import type { Report } from "../evals/metrics.js";
import type { EvalRunReport } from "../evals/report/types.js";
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

  it("refuses an unknown claim checker", async () => {
    const run = streams();
    await expect(evalMain(["--dataset", datasetPath, "--checker", "oracle"], run.io)).rejects.toMatchObject({ code: "commander.invalidArgument" });
    expect(run.err()).toContain("--checker");
  });

  it("with reference answers, adds the claim-level figures and writes the report page, its JSON and the history", async () => {
    // References written from the fixture fiches: the opening chunk's first sentence of each gold fiche.
    const { openSession } = await import("../cli/session.js");
    const session = await openSession(env, () => {});
    const refs = ITEMS.filter((i) => i.gold.length).map((i) => {
      const chunk = session.capabilities.search.chunks.find((c) => c.ficheId === i.gold[0])!;
      const sentence = chunk.text.split(/(?<=\.)\s/)[0]!;
      return JSON.stringify({ id: i.id, split: "insurance", reference: sentence, support: [{ chunk: chunk.id, text: sentence }] });
    });
    const referencesPath = join(dir, "references.jsonl");
    writeFileSync(referencesPath, refs.join("\n"));
    const reportDir = join(dir, "report");
    const history = join(dir, "history.json");
    const args = ["--dataset", datasetPath, "--references", referencesPath, "--report", reportDir, "--history", history];
    for (let i = 0; i < 2; i++) {
      const run = streams();
      expect(await evalMain(args, run.io)).toBe(0);
      expect(run.out()).toMatch(/^claim-level metrics \(checker: offline; questions with a reference answer\)$/m);
      expect(run.out()).toMatch(/^all\s+3\s+\d\.\d{3}/m);
      expect(run.err()).toContain(`report: ${join(reportDir, "report.html")}`);
    }
    const report = JSON.parse(readFileSync(join(reportDir, "report.json"), "utf8")) as EvalRunReport;
    expect(report.checker).toBe("offline");
    expect(report.splits.map((s) => s.split)).toEqual(["insurance"]);
    expect(report.splits[0]!.worst).toHaveLength(3);
    expect(report.splits[0]!.all.claims!.n).toBe(3);
    expect(readFileSync(join(reportDir, "report.html"), "utf8")).toContain("<canvas");
    expect(JSON.parse(readFileSync(history, "utf8"))).toHaveLength(2);

    const json = streams();
    expect(await evalMain(["--dataset", datasetPath, "--references", referencesPath, "--json"], json.io)).toBe(0);
    const line = JSON.parse(json.out()) as { claims: { n: number; f1: number }; checker: string };
    expect(line.claims.n).toBe(3);
    expect(line.checker).toBe("offline");
  });

  it("refuses reference answers whose support is not in the index", async () => {
    const referencesPath = join(dir, "stale-references.jsonl");
    writeFileSync(referencesPath, JSON.stringify({ id: "i1", split: "insurance", reference: "x", support: [{ chunk: "F2655#99", text: "x" }] }));
    await expect(evalMain(["--dataset", datasetPath, "--references", referencesPath], streams().io)).rejects.toThrow(/i1: chunk F2655#99 is not in the index/);
  });

  it("fails with the line number of a bad dataset line", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify(ITEMS[0])}\n{"id":"x","question":"q"}\n`);
    await expect(evalMain(["--dataset", bad], streams().io)).rejects.toThrow(`${bad}:2: gold: `);
  });
});
