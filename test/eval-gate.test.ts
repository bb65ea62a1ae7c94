import { jest } from "@jest/globals";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSession, type Session } from "../cli/session.js";
import { OfflineClaimChecker } from "../evals/claims/offline-checker.js";
import { loadReferences } from "../evals/claims/references.js";
import { loadDataset } from "../evals/dataset.js";
import { evaluateSplit, splitName } from "../evals/eval-split.js";
import { baselineOf, compareToBaseline, gateMessage, readBaseline, writeBaseline } from "../evals/gate.js";
import { gateEnv } from "../evals/gate-env.js";
import { gateMain } from "../evals/run-gate.js";
import { bootstrapInterval, bootstrapMean, cohenKappa, pairedBootstrap } from "../evals/stats.js";
import type { Answerer } from "../tools/answer/types.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

describe("bootstrap statistics", () => {
  it("gives a seeded 95 % interval around the mean", () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const a = bootstrapMean(values);
    expect(a).toEqual(bootstrapMean(values));
    expect(a.mean).toBe(0.25);
    expect(a.low).toBeLessThan(0.25);
    expect(a.high).toBeGreaterThan(0.25);
    expect(a.high - a.low).toBeGreaterThan(0.08); // ≈ 2 × 1.96 × sqrt(0.25 × 0.75 / 200) = 0.12
    expect(a.high - a.low).toBeLessThan(0.16);
    expect(bootstrapInterval([], () => null)).toBeNull();
    expect(() => bootstrapMean([])).toThrow(/no values/);
  });

  it("compares paired samples: no difference gives p = 1, a clear one a small p and its effect size", () => {
    const a = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    expect(pairedBootstrap(a, a)).toMatchObject({ n: 100, p: 1, effectSize: 0, difference: { mean: 0 } });
    const b = a.map((x, i) => (i % 5 === 1 ? 1 : x));
    const better = pairedBootstrap(a, b);
    expect(better.difference.mean).toBeCloseTo(0.1); // one question in ten goes from 0 to 1
    expect(better.difference.low).toBeGreaterThan(0);
    expect(better.p).toBeLessThan(0.01);
    expect(better.effectSize).toBeCloseTo(0.1 / Math.sqrt((10 * 0.9 ** 2 + 90 * 0.1 ** 2) / 99));
    expect(pairedBootstrap([0, 0], [1, 1]).effectSize).toBeNull();
    expect(() => pairedBootstrap([1], [1, 2])).toThrow(/differ in size/);
    expect(() => pairedBootstrap([], [])).toThrow(/no pairs/);
  });

  it("computes Cohen's kappa", () => {
    expect(cohenKappa([true, false, true, false], [true, false, true, false])).toEqual({ accuracy: 1, kappa: 1 });
    expect(cohenKappa([true, true, false, false], [true, false, true, false]).kappa).toBe(0);
    expect(cohenKappa([true, true], [true, true]).kappa).toBe(1);
    expect(() => cohenKappa([], [])).toThrow();
  });
});

describe("the eval gate on the 12 fixture fiches", () => {
  let dir: string;
  let session: Session;
  let dataset: string;
  let references: string;
  const good: { answerer?: Answerer } = {};

  beforeAll(async () => {
    dir = tempDir("guichet-gate-");
    jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    session = await openSession({ GUICHET_INDEX_DIR: join(dir, "index"), GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35, LOG_LEVEL: "silent" }, () => {});
    good.answerer = session.capabilities.answerer;
    const items = [
      { id: "g1", question: "Comment fonctionne le bonus-malus en assurance auto ?", gold: ["F2655"], facts: ["coefficient"], style: "title" },
      { id: "g2", question: "Quel est le montant de la franchise en assurance auto ?", gold: ["F2706"], style: "citizen" },
      { id: "g3", question: "on m'a volé ma voiture cette nuit, je fais quoi ?", gold: ["F21138", "F2685"], style: "citizen" },
      { id: "g4", question: "recette de la tarte aux pommes", gold: [], style: "out_of_scope" },
    ];
    dataset = join(dir, "gate.jsonl");
    writeFileSync(dataset, items.map((i) => JSON.stringify(i)).join("\n"));
    // References written from the fixture fiches: the first sentence of each gold fiche's opening chunk.
    const chunks = session.capabilities.search.chunks;
    const lines = items.filter((i) => i.gold.length).map((i) => {
      const chunk = chunks.find((c) => c.ficheId === i.gold[0])!;
      const sentence = chunk.text.split(/(?<=\.)\s/)[0]!;
      return JSON.stringify({ id: i.id, split: "gate", reference: sentence, support: [{ chunk: chunk.id, text: sentence }] });
    });
    references = join(dir, "references.jsonl");
    writeFileSync(references, lines.join("\n"));
  });

  afterAll(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    session.capabilities.answerer = good.answerer!;
  });

  const measure = async () => evaluateSplit(session, dataset, loadDataset(dataset), loadReferences(references), new OfflineClaimChecker());

  it("passes against its own baseline, and fails naming the metrics when the answerer is broken on purpose", async () => {
    expect(splitName(dataset)).toBe("gate");
    const run = await measure();
    expect(run.claims).toHaveLength(3);
    expect(run.splitReport.all.claims!.recall).toBeGreaterThan(0);
    const baseline = baselineOf([run], { date: "2026-12-07T00:00:00Z", commit: null, checker: "offline" });
    expect(Object.keys(baseline.splits.gate!)).toEqual(expect.arrayContaining(["recall@10", "facts", "answered", "claims.f1", "claims.faithfulness", "claims.hallucination"]));
    expect(baseline.splits.gate!["claims.hallucination"]!.lower_is_better).toBe(true);
    const file = join(dir, "baseline.json");
    writeBaseline(file, baseline);
    expect(readBaseline(file)).toEqual(baseline);

    const passing = memoryIo({});
    expect(await gateMain(["--baseline", file, "--references", references, "--dataset", dataset], passing, () => Promise.resolve(session))).toBe(0);
    expect(passing.out()).toMatch(/eval gate passed: \d+ metrics within their tolerance/);

    // The broken answerer answers every question with a sentence of its own, citing the first passage.
    session.capabilities.answerer = {
      name: "broken",
      answer: (_question, passages) =>
        Promise.resolve({ answer: "Il faut écrire au Père Noël avant le 25 décembre. [1]", citations: passages[0] ? [{ n: 1, id: passages[0].chunk.ficheId, title: "", url: "", date: "", snippet: "" }] : [], found: passages.length > 0 }),
    };
    const failing = memoryIo({});
    expect(await gateMain(["--baseline", file, "--references", references, "--dataset", dataset], failing, () => Promise.resolve(session))).toBe(1);
    const out = failing.out();
    expect(out).toContain("eval gate FAILED");
    expect(out).toMatch(/^ {2}gate claims\.faithfulness: 0 against baseline/m);
    expect(out).toMatch(/^ {2}gate claims\.hallucination: 1 against baseline 0 /m);
    // On three questions the bootstrap interval of recall spans 0 to 1: a drop within it is not called a regression.
    expect(out).toMatch(/^gate\s+claims\.recall\s+0\.6667\s+0\.0000\s+0\.6667\s+ok$/m);
    expect(out).toMatch(/^ {2}gate facts: 0 against baseline/m);
    expect(out).toContain("npm run eval -- --update-baseline");
  });

  it("fails on a metric that has no value any more and reads only valid baselines", () => {
    const lines = compareToBaseline([], { version: 1, date: "", commit: null, checker: "offline", splits: { test: { facts: { value: 0.3, tolerance: 0.05, n: 10, lower_is_better: false } } } });
    expect(lines).toEqual([{ split: "test", metric: "facts", baseline: 0.3, current: null, tolerance: 0.05, ok: false }]);
    expect(gateMessage(lines)).toContain("test facts: no value (baseline 0.3)");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ version: 2 }));
    expect(() => readBaseline(bad)).toThrow(/not a baseline: version/);
    expect(() => readBaseline(join(dir, "missing.json"))).toThrow(/npm run eval -- --update-baseline/);
  });

  it("measures the gate in one fixed configuration whatever the shell holds", () => {
    const env = gateEnv({ PATH: "/bin", OPENAI_API_KEY: "sk-x", GUICHET_RETRIEVAL: "hybrid", GUICHET_GATE_INDEX_DIR: "/tmp/g" });
    expect(env).toMatchObject({ PATH: "/bin", GUICHET_RETRIEVAL: "bm25", GUICHET_INDEX_DIR: "/tmp/g", GUICHET_FREEDICT_DIR: "off", GUICHET_CACHE: "off" });
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(gateEnv({}).GUICHET_INDEX_DIR).toBe("data/index-gate");
  });

  it("the committed baseline covers both gate splits with every gated metric", () => {
    const committed = JSON.parse(readFileSync("evals/baseline.json", "utf8")) as { splits: Record<string, Record<string, unknown>> };
    expect(Object.keys(committed.splits).sort()).toEqual(["dev", "test"]);
    expect(Object.keys(committed.splits.test!)).toHaveLength(16);
  });
});
