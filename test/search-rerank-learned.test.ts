import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildIndex } from "../corpus/build-index.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { buildCapabilities } from "../graphs/capabilities.js";
import { loadConfig } from "../tools/config.js";
import type { RerankCandidate } from "../tools/search/rerank.js";
import { RERANK_FEATURES, rerankFeatures } from "../tools/search/rerank-features.js";
import { LinearReranker, loadRerankModel, orderByScore } from "../tools/search/rerank-learned.js";
import { crossValidate, rankingMetrics, trainPairwise, trainRerankerMain, type RankingExample } from "../evals/train-reranker.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

const built = buildIndex(xmlFolderSource(FIXTURES_35));
const fiches = built.index.ficheIndex!;
const candidatesOf = (ids: string[]): RerankCandidate[] =>
  ids.map((ficheId) => {
    const chunk = built.index.chunks.find((c) => c.ficheId === ficheId)!;
    return { ficheId, text: `${chunk.title}\n${chunk.text}`, title: chunk.title };
  });
const feature = (rows: number[][], i: number, name: (typeof RERANK_FEATURES)[number]) => rows[i]![RERANK_FEATURES.indexOf(name)]!;

describe("whole-fiche evidence", () => {
  it("matchDocuments scores the given documents and tells which query terms each holds in each field", () => {
    const bonus = fiches.ficheIds.indexOf("F2655");
    const caravan = fiches.ficheIds.indexOf("F21619");
    const query = new Map([["bonus", 1], ["malus", 1], ["caravan", 1]]);
    const [first, second] = fiches.bm25.matchDocuments(query, { title: 1, body: 1 }, [bonus, caravan]);
    expect(first!.doc).toBe(bonus);
    expect(first!.terms.get("title")).toEqual(new Set(["bonus", "malus"]));
    expect(second!.terms.get("title")).toEqual(new Set(["caravan"]));
    const scored = fiches.bm25.scoreDocuments(query, { title: 1, body: 1 }, [bonus, caravan]);
    expect(scored.map((s) => s.doc).sort()).toEqual([bonus, caravan].sort());
    expect(scored.find((s) => s.doc === bonus)!.score).toBeCloseTo(first!.score);
  });

  it("scores, ranks and measures how much of the question each fiche covers", () => {
    const evidence = fiches.evidence(fiches.queryOf("bonus malus de l'assurance auto"), ["F2655", "F21619", "unknown"]);
    expect([...evidence.keys()]).toEqual(["F2655", "F21619"]);
    const bonus = evidence.get("F2655")!;
    const caravan = evidence.get("F21619")!;
    expect(bonus.rank).toBe(0);
    expect(bonus.score).toBeGreaterThan(caravan.score);
    expect(bonus.queryInTitle).toBeGreaterThan(caravan.queryInTitle);
    expect(bonus.queryInFiche).toBeGreaterThanOrEqual(bonus.queryInTitle);
    expect(bonus.queryInFiche).toBeLessThanOrEqual(1);
  });
});

describe("re-ranking features", () => {
  const question = "Comment marche le bonus malus en assurance auto ?";
  const rows = rerankFeatures(question, candidatesOf(["F21619", "F2655", "F3049"]), fiches);

  it("gives one row of every feature per candidate", () => {
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toHaveLength(RERANK_FEATURES.length);
  });

  it("reads the first stage's order, the whole fiche and the title", () => {
    expect(feature(rows, 0, "firstStageRank")).toBe(0);
    expect(feature(rows, 1, "firstStageRank")).toBeCloseTo(-Math.log(2));
    expect(feature(rows, 1, "ficheScore")).toBe(1);
    expect(feature(rows, 1, "ficheRank")).toBe(0);
    expect(feature(rows, 1, "queryInTitle")).toBeGreaterThan(feature(rows, 0, "queryInTitle"));
    expect(feature(rows, 1, "titleCovered")).toBeGreaterThan(feature(rows, 2, "titleCovered"));
  });
});

describe("pairwise training", () => {
  // Feature 0 is the first stage's rank, feature 1 a signal that marks the gold fiche, feature 2 noise.
  const example = (gold: number, seed: number): RankingExample => ({
    style: seed % 2 ? "citizen" : "title",
    gold: [`f${gold}`],
    ficheIds: [0, 1, 2, 3].map((i) => `f${i}`),
    rows: [0, 1, 2, 3].map((i) => [-Math.log(1 + i), i === gold ? 1 : 0, ((i * 7 + seed * 3) % 5) / 5]),
  });
  const examples = Array.from({ length: 20 }, (_, s) => example((s * 3) % 4, s));

  it("learns to weigh the feature that marks the gold fiche, deterministically", () => {
    const weights = trainPairwise(examples, { lambda: 0.001 });
    expect(weights[1]).toBeGreaterThan(Math.abs(weights[0]!));
    expect(weights[1]).toBeGreaterThan(Math.abs(weights[2]!));
    expect(trainPairwise(examples, { lambda: 0.001 })).toEqual(weights);
    for (const e of examples) expect(orderByScore(weights, e.ficheIds, e.rows)[0]).toBe(e.gold[0]);
  });

  it("starts from the first stage's order and keeps it without any pair to learn from", () => {
    expect(trainPairwise([{ style: "x", gold: ["none"], ficheIds: ["a", "b"], rows: [[0, 1], [-1, 2]] }])).toEqual([1, 0]);
  });

  it("cross-validation ranks every question with weights trained on the other folds", () => {
    const rankings = crossValidate(examples, 4, { lambda: 0.001, epochs: 200 });
    expect(rankings).toHaveLength(examples.length);
    rankings.forEach((ranking, i) => expect([...ranking].sort()).toEqual(examples[i]!.ficheIds));
    const metrics = rankingMetrics(examples, rankings);
    expect(metrics.all!["recall@1"]).toBe(1);
    expect(Object.keys(metrics)).toEqual(["all", "style=citizen", "style=title"]);
  });
});

describe("the learned re-ranker", () => {
  it("keeps the first stage's order with weight on that rank only, and follows its features otherwise", () => {
    const candidates = candidatesOf(["F21619", "F3049", "F2655"]);
    const question = "bonus malus assurance auto";
    const firstOnly = RERANK_FEATURES.map((_, i) => (i === 0 ? 1 : 0));
    expect(new LinearReranker(fiches, { weights: firstOnly }).rerank(question, candidates)).toEqual(["F21619", "F3049", "F2655"]);
    const titleOnly = RERANK_FEATURES.map((name) => (name === "queryInTitle" ? 1 : 0));
    expect(new LinearReranker(fiches, { weights: titleOnly }).rerank(question, candidates)[0]).toBe("F2655");
  });

  it("ships a model whose features are this code's, and refuses one that does not match", () => {
    expect(loadRerankModel().features).toEqual([...RERANK_FEATURES]);
    const dir = tempDir();
    const file = join(dir, "model.json");
    writeFileSync(file, JSON.stringify({ features: ["firstStageRank"], weights: [1], trainedOn: "x", lambda: 0, candidates: 30 }));
    expect(() => loadRerankModel(file)).toThrow(/do not match.*npm run train:rerank/);
  });

  it("is what GUICHET_RERANK=learned selects", () => {
    const config = loadConfig({ GUICHET_RERANK: "learned" });
    expect(config.rerank).toEqual({ kind: "learned" });
    expect(buildCapabilities(built, config.retrieval, undefined, config.rerank).search.reranker?.name).toBe("learned");
  });
});

describe("npm run train:rerank", () => {
  it("refuses to train on the test split", async () => {
    const io = memoryIo();
    await expect(trainRerankerMain(["--dataset", "evals/datasets/test.jsonl"], io)).rejects.toThrow(/test split is for reporting/);
  });

  it("trains on a dataset, reports cross-validation against the whole-fiche fusion, and writes the model", async () => {
    const dir = tempDir();
    const indexDir = join(dir, "index");
    mkdirSync(indexDir);
    const dataset = join(dir, "dev-mini.jsonl");
    const items = [
      ["bonus malus coefficient", "F2655"],
      ["on m'a volé ma voiture, que dois-je faire avec l'assureur ?", "F2685"],
      ["ma caravane doit-elle être assurée ?", "F21619"],
      ["j'ai percuté un sanglier sur la route", "F21616"],
      ["je prête ma voiture à un ami, qui est assuré ?", "F2632"],
      ["comment marche la franchise de mon assurance auto", "F2706"],
    ];
    writeFileSync(dataset, items.map(([question, gold], i) => JSON.stringify({ id: `d${i}`, question, gold: [gold], style: "citizen" })).join("\n"));
    const out = join(dir, "model.json");
    const io = memoryIo({ GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35, GUICHET_INDEX_DIR: indexDir, LOG_LEVEL: "silent" });
    expect(await trainRerankerMain(["--dataset", dataset, "--folds", "2", "--lambdas", "0,0.01", "--out", out], io)).toBe(0);
    expect(io.out()).toMatch(/whole-fiche RRF/);
    expect(io.out()).toMatch(/learned, λ=0\.01 \(cv\)/);
    const model = loadRerankModel(out);
    expect(model.candidates).toBe(30);
    expect([0, 0.01]).toContain(model.lambda);
  }, 60_000);
});
