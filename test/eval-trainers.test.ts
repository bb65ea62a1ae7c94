import type { Chunk } from "../corpus/chunk.js";
import type { ScoredUnit } from "../tools/answer/extractive.js";
import { loadScopeModel, outOfScopeProbability, scopeFeatures } from "../tools/answer/scope.js";
import type { Passage } from "../tools/answer/types.js";
import type { EvalItem } from "../evals/dataset.js";
import type { GuardItem } from "../evals/guard-metrics.js";
import { positiveUnits } from "../evals/train-answer.js";
import { guardLabel } from "../evals/train-guard.js";

const item = (overrides: Partial<GuardItem>): GuardItem => ({
  id: "x",
  kind: "legit",
  technique: "plain",
  lang: "fr",
  text: "t",
  expect_blocked: false,
  ...overrides,
});

describe("guardLabel: what a guard dev item teaches the classifier", () => {
  it.each([
    [{ kind: "attack", expect_blocked: true }, "injection"],
    [{ kind: "attack", technique: "forgery", expect_blocked: true }, "fraud"],
    [{ kind: "fraud", expect_blocked: true }, "fraud"],
    [{ kind: "abuse", expect_blocked: true }, "harm"],
    [{ kind: "harm", expect_blocked: true }, "harm"],
    [{ kind: "distress", distress: true }, "distress"],
    [{ kind: "legit" }, "none"],
    [{ kind: "out_of_scope", expect_blocked: true }, "none"],
  ] as const)("%j → %s", (overrides, label) => {
    expect(guardLabel(item(overrides as Partial<GuardItem>))).toBe(label);
  });
});

describe("positiveUnits: the units that answer a labelled question", () => {
  const chunk = (ficheId: string): Chunk => ({
    id: `${ficheId}#0`, ficheId, title: "t", path: [], breadcrumb: "t", text: "", url: "u", audience: "a", theme: "t", date: "d", source: "s",
  });
  const pool: Passage[] = [{ chunk: chunk("F1"), score: 1, rank: 1 }, { chunk: chunk("F2"), score: 1, rank: 2 }];
  const unit = (passage: number, text: string): ScoredUnit => ({ passage, position: 0, text, words: 5, score: 0, features: [] });
  const units = [unit(1, "Le passeport coûte 86 €."), unit(0, "Le passeport coûte 86 €  pour un majeur."), unit(0, "Il est valable 10 ans.")];
  const question: EvalItem = { id: "q", question: "prix ?", gold: ["F1"], facts: ["10 ans"] };

  it("finds the labelled unit (whitespace and case folded) in a gold fiche only", () => {
    expect(positiveUnits({ ...question, unit: "le passeport coûte 86 € pour un majeur" }, units, pool)).toEqual({ ids: [1], silver: false });
  });

  it("falls back to the units of a gold fiche holding a fact (silver)", () => {
    expect(positiveUnits({ ...question, unit: "absent from every unit of the pool" }, units, pool)).toEqual({ ids: [2], silver: true });
    expect(positiveUnits({ ...question, facts: [] }, units, pool)).toEqual({ ids: [], silver: true });
  });
});

describe("the committed scope model", () => {
  it("reads out-of-scope more likely when retrieval meets the question badly", () => {
    const model = loadScopeModel();
    expect(model).not.toBeNull();
    const strong = { bestCoverage: 0.9, titleCoverage: 0.8, ownTerms: 4, matchedTerms: 4 };
    const weak = { bestCoverage: 0.26, titleCoverage: 0, ownTerms: 4, matchedTerms: 1 };
    const q = "Quel temps fera-t-il demain à Lyon ?";
    expect(outOfScopeProbability(model!, q, weak)).toBeGreaterThan(outOfScopeProbability(model!, q, strong));
    expect(scopeFeatures(q, weak).get("num:best_coverage")).toBe(0.26);
  });
});

describe("the committed answer models", () => {
  it("the unit scorer was learnt for this code's features", async () => {
    const { loadUnitWeights } = await import("../tools/answer/unit-scorer.js");
    const { UNIT_FEATURES } = await import("../tools/answer/unit-features.js");
    const loaded = loadUnitWeights();
    expect(loaded.source).toBe("learned");
    expect(loaded.weights).toHaveLength(UNIT_FEATURES.length);
  });
});
