import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "../evals/dataset.js";
import { buildReport, computeMetrics, factsFound, firstGoldRank, formatReport, type QuestionOutcome, ndcgAt } from "../evals/metrics.js";
import { tempDir } from "./helpers/fixtures.js";

let dir: string;
beforeAll(() => {
  dir = tempDir("guichet-eval-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileSeq = 0;
function dataset(text: string): string {
  const path = join(dir, `set-${fileSeq++}.jsonl`);
  writeFileSync(path, text);
  return path;
}

describe("loadDataset", () => {
  it("reads JSON lines, skipping blank lines and dropping unknown fields", () => {
    const path = dataset(
      [
        '{"id":"q1","question":"Prix du passeport ?","gold":["F34752"],"facts":["86 €"],"style":"title","lang":"fr","note":"x"}',
        "",
        "   ",
        '{"id":"q2","question":"Hors sujet","gold":[]}',
        "",
      ].join("\n"),
    );
    expect(loadDataset(path)).toEqual([
      { id: "q1", question: "Prix du passeport ?", gold: ["F34752"], facts: ["86 €"], style: "title", lang: "fr" },
      { id: "q2", question: "Hors sujet", gold: [] },
    ]);
  });

  it("names the line of invalid JSON (counting blank lines)", () => {
    const path = dataset('{"id":"q1","question":"a","gold":["F1"]}\n\n{"id":"q2",\n');
    expect(() => loadDataset(path)).toThrow(new RegExp(`^${path}:3: invalid JSON \\(`));
  });

  it("names the line and the field of an invalid item", () => {
    const path = dataset('{"id":"q1","question":"a","gold":["F1"]}\n{"id":"q2","question":"b"}\n');
    expect(() => loadDataset(path)).toThrow(new RegExp(`^${path}:2: gold: `));
    const wrongType = dataset('{"id":"q1","question":"a","gold":"F1"}\n');
    expect(() => loadDataset(wrongType)).toThrow(new RegExp(`^${wrongType}:1: gold: `));
    const emptyQuestion = dataset('{"id":"q1","question":"","gold":[]}\n');
    expect(() => loadDataset(emptyQuestion)).toThrow(new RegExp(`^${emptyQuestion}:1: question: `));
  });

  it("reports every problem of a line, and a non-object line as a whole", () => {
    const path = dataset('{"question":1,"gold":[]}\n');
    const message = (() => {
      try {
        loadDataset(path);
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/id: /);
    expect(message).toMatch(/; question: /);
    expect(() => loadDataset(dataset("42\n"))).toThrow(/:1: line: /);
  });

  it("rejects a file without questions, and a missing file", () => {
    const empty = dataset("\n\n");
    expect(() => loadDataset(empty)).toThrow(`${empty}: no questions`);
    expect(() => loadDataset(join(dir, "missing.jsonl"))).toThrow(/ENOENT/);
  });
});

function outcome(overrides: Partial<QuestionOutcome>): QuestionOutcome {
  return { gold: ["F1"], ranking: [], answer: "", answered: true, style: "title", lang: "fr", ...overrides };
}

/** Four in-scope questions (gold at ranks 1, 2, 6 and absent) and two out-of-scope ones. */
const outcomes: QuestionOutcome[] = [
  outcome({
    gold: ["A"],
    ranking: ["A", "B"],
    answer: "Le passeport COUTE 86 € ; demande en mairie.",
    facts: ["coûte 86  €", "Mairie", "préfecture"],
    style: "title",
    lang: "fr",
  }),
  outcome({ gold: ["B", "Z"], ranking: ["A", "B", "C"], facts: [], style: "citizen", lang: "fr" }),
  outcome({ gold: ["C"], ranking: ["X1", "X2", "X3", "X4", "X5", "C"], answered: false, style: "citizen", lang: "en" }),
  outcome({ gold: ["D"], ranking: [], answered: false, facts: ["délai"], answer: "Aucun DELAI.", style: "title", lang: "en" }),
  outcome({ gold: [], ranking: ["A"], answered: false, style: "out", lang: "fr" }),
  outcome({ gold: [], ranking: ["B"], answered: true, style: "out", lang: "fr" }),
];

describe("metrics", () => {
  it("firstGoldRank is the 1-based rank of the first gold fiche, 0 when absent", () => {
    expect(firstGoldRank(["B", "C"], ["A", "C", "B"])).toBe(2);
    expect(firstGoldRank(["A"], ["A"])).toBe(1);
    expect(firstGoldRank(["Z"], ["A", "B"])).toBe(0);
    expect(firstGoldRank([], ["A"])).toBe(0);
  });

  it("ndcgAt rewards gold fiches by rank against the ideal order", () => {
    expect(ndcgAt(["A"], ["A", "B"])).toBe(1);
    expect(ndcgAt(["A"], ["B", "A"])).toBeCloseTo(1 / Math.log2(3), 10);
    expect(ndcgAt(["A", "B"], ["A", "C", "B"])).toBeCloseTo(1.5 / (1 + 1 / Math.log2(3)), 10);
    expect(ndcgAt(["A"], ["B", "C"])).toBe(0);
    expect(ndcgAt([], ["A"])).toBe(0);
    expect(ndcgAt(["K"], [...Array.from({ length: 10 }, (_, i) => `X${i}`), "K"])).toBe(0);
  });

  it("formatReport adds the ablation table when there is one", () => {
    const report = buildReport(outcomes);
    report.ablation = { bm25: { all: computeMetrics(outcomes), style: { title: computeMetrics(outcomes.slice(0, 1)) } } };
    const text = formatReport(report);
    expect(text).toContain("retrieval ablation (fiche ranking only)");
    expect(text).toMatch(/^bm25\s+all\s+4\s+0\.250\s+0\.500\s+0\.750\s+0\.417\s+0\.436$/m);
    expect(text).toMatch(/^bm25\s+style=title\s+1\s+1\.000/m);
  });

  it("factsFound ignores case, accents and repeated spaces", () => {
    expect(factsFound("Le passeport COUTE 86 € en Préfecture", ["coûte 86  €", "prefecture", "mairie"])).toBe(2);
    expect(factsFound("", ["x"])).toBe(0);
    expect(factsFound("anything", [])).toBe(0);
  });

  it("computes recall@k, MRR@10, facts and answer rate on in-scope questions only", () => {
    expect(computeMetrics(outcomes)).toEqual({
      n: 4,
      "recall@1": 0.25,
      "recall@5": 0.5,
      "recall@10": 0.75,
      "mrr@10": Math.round(((1 + 1 / 2 + 1 / 6) / 4) * 1000) / 1000,
      // 1 (A first) + (1/log2 3)/(1 + 1/log2 3) (B second, Z missing) + 1/log2 7 (C sixth) + 0, over 4
      "ndcg@10": Math.round(((1 + 0.63093 / 1.63093 + 0.35621 + 0) / 4) * 1000) / 1000,
      facts: 0.75, // 2 of 3 facts in the first answer, 1 of 1 in the fourth
      answered: 0.5,
      first_citation: 0, // no answer cites anything here
      facts_if_retrieved: 0.667, // the fourth question's gold fiche was not retrieved
      first_citation_if_retrieved: 0,
    });
  });

  it("counts a gold fiche beyond rank 10 in neither recall@10 nor MRR@10", () => {
    const ranking = Array.from({ length: 11 }, (_, i) => `X${i}`);
    ranking[10] = "G";
    expect(computeMetrics([outcome({ gold: ["G"], ranking })])).toMatchObject({ "recall@10": 0, "mrr@10": 0 });
    ranking[9] = "G";
    expect(computeMetrics([outcome({ gold: ["G"], ranking })])).toMatchObject({ "recall@5": 0, "recall@10": 1, "mrr@10": 0.1 });
  });

  it("gives zeros and null facts without in-scope questions", () => {
    expect(computeMetrics([])).toEqual({
      n: 0,
      "recall@1": 0,
      "recall@5": 0,
      "recall@10": 0,
      "mrr@10": 0,
      "ndcg@10": 0,
      facts: null,
      answered: 0,
      first_citation: 0,
      facts_if_retrieved: null,
      first_citation_if_retrieved: 0,
    });
    expect(computeMetrics([outcome({ gold: [] })]).n).toBe(0);
    expect(computeMetrics([outcome({ gold: ["A"], ranking: ["A"] })]).facts).toBeNull();
  });

  it("buildReport adds the out-of-scope declined share and groups by style and language", () => {
    const report = buildReport(outcomes);
    expect(report.out_of_scope).toEqual({ n: 2, declined: 0.5 });
    expect(report.n).toBe(4);
    expect(Object.keys(report.by.style)).toEqual(["citizen", "title"]);
    expect(Object.keys(report.by.lang)).toEqual(["en", "fr"]);
    expect(report.by.style.title).toMatchObject({ n: 2, "recall@1": 0.5, "recall@10": 0.5, facts: 0.75, answered: 0.5 });
    expect(report.by.style.citizen).toMatchObject({ n: 2, "recall@1": 0, "recall@5": 0.5, "recall@10": 1, facts: null });
    expect(report.by.lang.fr).toMatchObject({ n: 2, "recall@1": 0.5, "recall@5": 1, "mrr@10": 0.75 });
    expect(report.by.lang.en).toMatchObject({ n: 2, "recall@5": 0, "recall@10": 0.5, answered: 0 });
  });

  it("buildReport without out-of-scope questions declares 0 of 0", () => {
    expect(buildReport([outcome({ gold: ["A"], ranking: ["A"] })]).out_of_scope).toEqual({ n: 0, declined: 0 });
  });

  it("formatReport prints an aligned table with a row per group and the out-of-scope line", () => {
    const text = formatReport(buildReport(outcomes));
    const lines = text.split("\n");
    expect(lines[0]!.split(/\s+/)).toEqual(["group", "n", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "facts", "facts|ret", "1st-cit", "1st|ret", "answered"]);
    expect(lines[1]).toMatch(/^-+( {2}-+){11}$/);
    expect(lines[2]!.split(/\s+/)).toEqual(["all", "4", "0.250", "0.500", "0.750", "0.417", "0.436", "0.750", "0.667", "0.000", "0.000", "0.500"]);
    expect(lines.slice(3, 7).map((l) => l.split(/\s+/)[0])).toEqual(["style=citizen", "style=title", "lang=en", "lang=fr"]);
    expect(lines[3]!.split(/\s+/)[7]).toBe("-");
    expect(lines[7]).toBe("");
    expect(lines[8]).toMatch(/^facts: share of expected facts/);
    expect(lines).toContain("out of scope: 2 questions, declined 0.500");
    // Columns line up: every row has the header's length.
    for (const row of lines.slice(1, 7)) expect(row.length).toBe(lines[0]!.length);
  });
});

describe("report by audience", () => {
  it("adds an audience breakdown only when the dataset gives audiences", () => {
    const base = { ranking: ["A"], answer: "", answered: true, style: "citizen", lang: "fr" };
    const withAudience = buildReport([
      { ...base, gold: ["A"], audience: "travail" },
      { ...base, gold: ["B"], audience: "particuliers" },
    ]);
    expect(Object.keys(withAudience.by.audience ?? {})).toEqual(["particuliers", "travail"]);
    expect(withAudience.by.audience?.travail?.["recall@1"]).toBe(1);
    expect(formatReport(withAudience)).toMatch(/^audience=travail\s+1\s+1\.000/m);
    expect(buildReport([{ ...base, gold: ["A"] }]).by.audience).toBeUndefined();
  });
});
