import { join } from "node:path";
import { buildDense, buildIndex } from "../corpus/build-index.js";
import { loadIndex, staleReason } from "../corpus/index-store.js";
import { ingest } from "../corpus/ingest.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { DenseIndex } from "../tools/search/dense-index.js";
import { LsaEmbeddings } from "../tools/search/embeddings/lsa.js";
import { reciprocalRankFusion } from "../tools/search/fusion.js";
import { Retriever } from "../tools/search/retriever.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe("reciprocalRankFusion", () => {
  it("sums 1/(k + rank) over the lists, best first", () => {
    const fused = reciprocalRankFusion([[1, 2, 3], [3, 1]], 60);
    expect(fused.map((f) => f.doc)).toEqual([1, 3, 2]);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
  });

  it("weighs lists and keeps first appearance on ties", () => {
    expect(reciprocalRankFusion([[7], [8]], 60).map((f) => f.doc)).toEqual([7, 8]);
    expect(reciprocalRankFusion([[7], [8]], 60, [0.5, 1]).map((f) => f.doc)).toEqual([8, 7]);
    expect(reciprocalRankFusion([[5, 6]], 0)[0]!.score).toBe(1);
    expect(reciprocalRankFusion([])).toEqual([]);
  });
});

describe("LsaEmbeddings", () => {
  // Two topics; "majeur" and "adulte" never meet, but both live with "passeport" and "prix".
  const docs = [
    ["passeport", "prix", "majeur", "timbr"],
    ["passeport", "prix", "adulte", "timbr"],
    ["passeport", "majeur", "adulte", "prix"],
    ["chomag", "allocation", "inscription", "emploi"],
    ["chomag", "emploi", "indemnisation", "allocation"],
    ["emploi", "inscription", "indemnisation", "chomag"],
  ];
  const model = LsaEmbeddings.train(docs, { dims: 2, minDf: 2, oversample: 2 });

  it("gives unit vectors, and close ones to words of the same topic", () => {
    const adult = model.embedTerms(["adulte"]);
    const major = model.embedTerms(["majeur"]);
    const job = model.embedTerms(["emploi"]);
    expect(model.dimensions).toBe(2);
    expect(dot(adult, adult)).toBeCloseTo(1, 5);
    expect(dot(adult, major)).toBeGreaterThan(0.9);
    expect(Math.abs(dot(adult, job))).toBeLessThan(0.3);
  });

  it("returns a zero vector for unknown words and keeps only terms seen in minDf documents", () => {
    expect([...model.embedTerms(["inconnu"])].every((x) => x === 0)).toBe(true);
    expect(model.toData().terms).not.toContain("indemnisation2");
    expect(model.toData().terms).toEqual(expect.arrayContaining(["passeport", "chomag"]));
  });

  it("is deterministic and round-trips through its data", () => {
    const again = LsaEmbeddings.train(docs, { dims: 2, minDf: 2, oversample: 2 });
    expect(Array.from(again.toData().projection)).toEqual(Array.from(model.toData().projection));
    const copy = LsaEmbeddings.fromData(model.toData());
    expect(Array.from(copy.embedTerms(["prix", "adulte"]))).toEqual(Array.from(model.embedTerms(["prix", "adulte"])));
  });

  it("implements LangChain's Embeddings (analysing text first)", async () => {
    const [a, b] = await model.embedDocuments(["Le prix du passeport", "Allocation chômage"]);
    expect(a).toHaveLength(2);
    expect(dot(a!, b!)).toBeLessThan(0.5);
    expect(await model.embedQuery("prix du passeport")).toEqual(Array.from(model.embedText("prix du passeport")));
  });
});

describe("DenseIndex", () => {
  const vectors = [
    [1, 0, 0],
    [0, 1, 0],
    [0.8, 0.6, 0],
  ].map((v) => Float32Array.from(v));

  it("finds nearest unit vectors by cosine, best first", () => {
    const index = DenseIndex.build(vectors, 3);
    const hits = index.search([1, 0, 0], 2);
    expect(hits.map((h) => h.doc)).toEqual([0, 2]);
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    expect(hits[1]!.score).toBeCloseTo(0.8, 5);
    expect(index.search([1, 0, 0], 0)).toEqual([]);
    expect(index.search([0, 1, 0], 10)).toHaveLength(3);
  });

  it("saves and loads", () => {
    const path = join(tempDir(), "dense.hnsw");
    DenseIndex.build(vectors, 3).save(path);
    const loaded = DenseIndex.load(path, 3);
    expect(loaded.size).toBe(3);
    expect(loaded.search([0, 1, 0], 1)[0]!.doc).toBe(1);
  });

  it("answers nothing when empty", () => {
    expect(DenseIndex.build([], 3).search([1, 0, 0], 5)).toEqual([]);
  });
});

describe("Retriever on the 3.5 fixtures", () => {
  const built = buildIndex(xmlFolderSource(FIXTURES_35), { dense: true });
  const dense = built.dense!;
  const retriever = new Retriever(built.index, { embeddings: dense.model, index: dense.index }, { mode: "hybrid" });

  it("builds the dense leg with the index", () => {
    expect(dense.index.size).toBe(built.index.chunks.length);
    expect(dense.model.dimensions).toBeGreaterThan(10);
    expect(buildIndex(xmlFolderSource(FIXTURES_35)).dense).toBeUndefined();
  });

  it.each(["bm25", "dense", "hybrid"] as const)("ranks the bonus-malus fiche first in %s mode", (mode) => {
    expect(retriever.rankFiches("coefficient de réduction majoration bonus malus", 3, mode)[0]).toBe("F2655");
  });

  it("fuses both legs: hybrid finds what either leg finds in its top ranks", () => {
    const q = "ma voiture a été volée, que faire avec mon assureur ?";
    const bm25 = retriever.rankFiches(q, 3, "bm25");
    const denseOnly = retriever.rankFiches(q, 3, "dense");
    const hybrid = retriever.rankFiches(q, 5, "hybrid");
    expect(hybrid).toContain(bm25[0]);
    expect(hybrid).toContain(denseOnly[0]);
  });

  it("groups per fiche and respects k", () => {
    const hits = retriever.search("assurance automobile", { k: 5, maxPerFiche: 1 });
    expect(hits).toHaveLength(5);
    expect(new Set(hits.map((h) => h.chunk.ficheId)).size).toBe(5);
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(retriever.search("assurance", { k: 0 })).toEqual([]);
  });

  it("filters by source and audience in every mode", () => {
    for (const mode of ["bm25", "dense", "hybrid"] as const) {
      expect(retriever.search("assurance", { mode, source: ["travail"] })).toEqual([]);
      expect(retriever.search("assurance", { mode, audience: ["Professionnels"] })).toEqual([]);
      expect(retriever.search("assurance", { mode, source: ["vdd-xml"], audience: ["particuliers"] }).length).toBeGreaterThan(0);
    }
  });

  it("falls back to BM25 without a dense leg, and finds nothing densely for unknown words", () => {
    const lexicalOnly = new Retriever(built.index);
    expect(lexicalOnly.effectiveMode("hybrid")).toBe("bm25");
    expect(lexicalOnly.rankFiches("bonus malus", 1, "dense")).toEqual(["F2655"]);
    expect(retriever.search("zzzqqq", { mode: "dense" })).toEqual([]);
    expect(lexicalOnly.termWeight("bonus")).toBe(built.index.termWeight("bonus"));
  });

  it("is persisted and loaded with the index", async () => {
    const dir = tempDir();
    await ingest(xmlFolderSource(FIXTURES_35), { indexDir: dir });
    expect(loadIndex(dir).dense).toBeUndefined();
    expect(staleReason(dir, xmlFolderSource(FIXTURES_35), true)).toBe("no dense leg");
    const outcome = await ingest(xmlFolderSource(FIXTURES_35), { indexDir: dir, dense: true });
    expect(outcome.result?.manifest.counts).toMatchObject({ processed: 0, unchanged: 12 });
    const loaded = loadIndex(dir);
    expect(loaded.dense?.index.size).toBe(loaded.index.chunks.length);
    const reloaded = new Retriever(loaded.index, { embeddings: loaded.dense!.model, index: loaded.dense!.index });
    expect(reloaded.rankFiches("bonus malus", 3, "dense")).toEqual(retriever.rankFiches("bonus malus", 3, "dense"));
  });

  it("buildDense embeds every chunk", () => {
    const { index } = buildDense(built.index.chunks.slice(0, 20));
    expect(index.size).toBe(20);
  });
});
