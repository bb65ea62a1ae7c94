import { Bm25Index, DEFAULT_BM25, type Bm25Params, type ScoredDoc } from "../tools/search/bm25.js";

type Doc = Record<string, string[]>;

const tokens = (text: string) => text.split(" ").filter(Boolean);

/** Straightforward multi-field BM25, the formula the index documents, to check scores against. */
function referenceScores(docs: Doc[], query: Map<string, number>, weights: Record<string, number>, params: Bm25Params = DEFAULT_BM25): number[] {
  const n = docs.length;
  const scores = new Array<number>(n).fill(0);
  for (const [field, weight] of Object.entries(weights)) {
    const lengths = docs.map((d) => (d[field] ?? []).length);
    const avg = lengths.reduce((a, b) => a + b, 0) / n || 1;
    for (const [term, qw] of query) {
      const df = docs.filter((d) => (d[field] ?? []).includes(term)).length;
      if (df === 0) continue;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      docs.forEach((d, i) => {
        const tf = (d[field] ?? []).filter((t) => t === term).length;
        if (tf === 0) return;
        const norm = params.k1 * (1 - params.b + (params.b * lengths[i]!) / avg);
        scores[i]! += (weight * qw * idf * tf * (params.k1 + 1)) / (tf + norm);
      });
    }
  }
  return scores;
}

function ranking(scores: number[], limit: number): ScoredDoc[] {
  return scores
    .map((score, doc) => ({ doc, score }))
    .filter((d) => d.score > 0)
    .sort((a, b) => b.score - a.score || a.doc - b.doc)
    .slice(0, limit);
}

const q = (...terms: Array<string | [string, number]>) =>
  new Map(terms.map((t) => (typeof t === "string" ? [t, 1] : t)));

/** Small deterministic PRNG (mulberry32) for the randomised corpus. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TINY: Doc[] = [
  { title: tokens("passeport"), body: tokens("prix du passeport pour un majeur") },
  { title: tokens("carte identite"), body: tokens("la carte est gratuite passeport") },
  { title: tokens("permis conduire"), body: tokens("permis permis permis points") },
  { title: tokens("permis bateau"), body: tokens("permis bateau plaisance mer riviere lac points") },
  { title: tokens("vitale"), body: tokens("carte vitale perdue") },
];

describe("Bm25Index statistics", () => {
  const index = Bm25Index.build(TINY);

  it("counts documents and document frequencies per field", () => {
    expect(index.docCount).toBe(5);
    expect(index.documentFrequency("body", "permis")).toBe(2);
    expect(index.documentFrequency("body", "carte")).toBe(2);
    expect(index.documentFrequency("title", "carte")).toBe(1);
    expect(index.documentFrequency("body", "absent")).toBe(0);
    expect(index.documentFrequency("nofield", "permis")).toBe(0);
  });

  it("uses idf = ln(1 + (N − df + 0.5) / (df + 0.5)): rarer terms weigh more", () => {
    expect(index.idf("body", "plaisance")).toBeCloseTo(Math.log(1 + 4.5 / 1.5), 10);
    expect(index.idf("body", "permis")).toBeCloseTo(Math.log(1 + 3.5 / 2.5), 10);
    expect(index.idf("body", "plaisance")).toBeGreaterThan(index.idf("body", "permis"));
    expect(index.idf("body", "absent")).toBeGreaterThan(index.idf("body", "plaisance"));
  });
});

describe("Bm25Index.search ranking", () => {
  const index = Bm25Index.build(TINY);

  it("scores exactly as the BM25 formula", () => {
    const query = q("permis", "points", ["carte", 0.5]);
    const weights = { title: 2, body: 1 };
    const expected = ranking(referenceScores(TINY, query, weights), 10);
    const actual = index.search(query, weights, 10);
    expect(actual.map((d) => d.doc)).toEqual(expected.map((d) => d.doc));
    actual.forEach((d, i) => expect(d.score).toBeCloseTo(expected[i]!.score, 5));
  });

  it("ranks a higher term frequency first, and a shorter field first at equal frequency", () => {
    // Doc 2 says "permis" three times in 4 words; doc 3 once in 7.
    expect(index.search(q("permis"), { body: 1 }, 10).map((d) => d.doc)).toEqual([2, 3]);
    // "points": once in each; doc 2's body is shorter.
    expect(index.search(q("points"), { body: 1 }, 10).map((d) => d.doc)).toEqual([2, 3]);
  });

  it("ranks the document with the rarer query term first (idf)", () => {
    // "carte" is in docs 1 and 4, "perdue" only in doc 4.
    const hits = index.search(q("carte", "perdue"), { body: 1 }, 10);
    expect(hits.map((d) => d.doc)).toEqual([4, 1]);
  });

  it("lets a title match beat a body match when the title weighs more", () => {
    // "passeport" is in doc 0's title and body, and only in doc 1's body.
    const docs: Doc[] = [
      { title: tokens("passeport"), body: tokens("tarif du titre") },
      { title: tokens("carte"), body: tokens("passeport tarif titre") },
    ];
    const idx = Bm25Index.build(docs);
    expect(idx.search(q("passeport"), { title: 2.5, body: 1 }, 5).map((d) => d.doc)).toEqual([0, 1]);
    expect(idx.search(q("passeport"), { title: 0, body: 1 }, 5).map((d) => d.doc)).toEqual([1]);
    expect(idx.search(q("passeport"), { title: 1 }, 5).map((d) => d.doc)).toEqual([0]);
    // Unknown fields are ignored.
    expect(idx.search(q("passeport"), { nothing: 3 }, 5)).toEqual([]);
  });

  it("multiplies a term's contribution by its query weight", () => {
    const full = index.search(q("plaisance"), { body: 1 }, 5);
    const half = index.search(q(["plaisance", 0.5]), { body: 1 }, 5);
    expect(full).toHaveLength(1);
    expect(half[0]!.score).toBeCloseTo(full[0]!.score / 2, 10);
    // A user term (1) outweighs an expansion term (0.5) of the same idf and tf.
    const docs: Doc[] = [{ body: tokens("majeur x") }, { body: tokens("adulte x") }];
    const idx = Bm25Index.build(docs);
    expect(idx.search(q("adulte", ["majeur", 0.5]), { body: 1 }, 5).map((d) => d.doc)).toEqual([1, 0]);
  });

  it("returns nothing for a query with no known term", () => {
    expect(index.search(q("inconnu"), { title: 1, body: 1 }, 5)).toEqual([]);
    expect(index.search(new Map(), { title: 1, body: 1 }, 5)).toEqual([]);
    expect(Bm25Index.build([]).search(q("permis"), { body: 1 }, 5)).toEqual([]);
  });

  it("breaks ties by document order", () => {
    const docs: Doc[] = [{ body: ["b", "x"] }, { body: ["a", "x"] }, { body: ["a", "x"] }, { body: ["a", "x"] }];
    const hits = Bm25Index.build(docs).search(q("x"), { body: 1 }, 3);
    expect(hits.map((d) => d.doc)).toEqual([0, 1, 2]);
    expect(new Set(hits.map((d) => d.score)).size).toBe(1);
  });

  it("keeps only accepted documents, still up to the limit", () => {
    const everything = index.search(q("permis", "carte", "passeport"), { title: 1, body: 1 }, 10);
    expect(everything.map((d) => d.doc).sort()).toEqual([0, 1, 2, 3, 4]);
    const even = index.search(q("permis", "carte", "passeport"), { title: 1, body: 1 }, 2, DEFAULT_BM25, (d) => d % 2 === 0);
    expect(even.map((d) => d.doc)).toEqual(everything.filter((d) => d.doc % 2 === 0).slice(0, 2).map((d) => d.doc));
  });

  it("returns the same top-k as a full sort on a random corpus, for every limit", () => {
    const random = prng(42);
    const vocabulary = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const pick = () => vocabulary[Math.floor(random() ** 2 * vocabulary.length)]!;
    const docs: Doc[] = Array.from({ length: 300 }, () => ({
      title: Array.from({ length: 1 + Math.floor(random() * 4) }, pick),
      body: Array.from({ length: 5 + Math.floor(random() * 60) }, pick),
    }));
    const idx = Bm25Index.build(docs);
    const params = { k1: 1.5, b: 0.6 };
    for (const query of [q("t0"), q("t3", ["t7", 0.5]), q("t1", "t20", "t39", ["t2", 0.25])]) {
      const weights = { title: 2.5, body: 1 };
      const reference = referenceScores(docs, query, weights, params);
      for (const limit of [1, 5, 17, 1000]) {
        const expected = ranking(reference, limit);
        const actual = idx.search(query, weights, limit, params);
        expect(actual.map((d) => d.doc)).toEqual(expected.map((d) => d.doc));
        actual.forEach((d, i) => expect(d.score).toBeCloseTo(expected[i]!.score, 6));
      }
    }
  });

  it("returns an empty list for limit 0 (bug: throws on an empty heap)", () => {
    expect(index.search(q("permis"), { body: 1 }, 0)).toEqual([]);
  });
});

describe("Bm25Index serialisation", () => {
  const index = Bm25Index.build(TINY);
  const queries = [q("permis", "points"), q("carte", ["vitale", 0.5]), q("passeport", "majeur")];
  const weights = { title: 2.5, body: 1 };

  it("gives the same results after toJSON/fromJSON (through a JSON string)", () => {
    const copy = Bm25Index.fromJSON(JSON.parse(JSON.stringify(index.toJSON())));
    expect(copy.docCount).toBe(index.docCount);
    expect(copy.toJSON()).toEqual(index.toJSON());
    for (const query of queries) expect(copy.search(query, weights, 10)).toEqual(index.search(query, weights, 10));
    expect(copy.idf("body", "permis")).toBe(index.idf("body", "permis"));
  });

  it("gives the same results after toBinary/fromBinary", () => {
    const { meta, data } = index.toBinary();
    const copy = Bm25Index.fromBinary(JSON.parse(JSON.stringify(meta)), Int32Array.from(data));
    expect(copy.docCount).toBe(index.docCount);
    expect(copy.documentFrequency("body", "permis")).toBe(2);
    for (const query of queries) expect(copy.search(query, weights, 10)).toEqual(index.search(query, weights, 10));
  });
});

describe("Bm25Index.search against a brute-force scoring", () => {
  // Seeded documents over a small vocabulary with skewed frequencies, so some terms are rare and some common.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const vocabulary = Array.from({ length: 60 }, (_, i) => `t${i}`);
  const pick = () => vocabulary[Math.floor(vocabulary.length * random() ** 2.5)]!;
  const docs = Array.from({ length: 600 }, () => ({
    title: Array.from({ length: 1 + Math.floor(random() * 4) }, pick),
    body: Array.from({ length: 5 + Math.floor(random() * 60) }, pick),
  }));
  const index = Bm25Index.build(docs);
  const weights = { title: 2, body: 1 };

  /** Every document scored, the reference the pruned search must match. */
  function exhaustive(query: Map<string, number>, limit: number): Array<{ doc: number; score: number }> {
    const all = docs.map((_, doc) => ({ doc, score: 0 }));
    for (const [field, weight] of Object.entries(weights)) {
      for (const [term, qw] of query) {
        for (const hit of index.search(new Map([[term, qw * weight]]), { [field]: 1 }, docs.length)) all[hit.doc]!.score += hit.score;
      }
    }
    return all.filter((x) => x.score > 0).sort((a, b) => b.score - a.score || a.doc - b.doc).slice(0, limit);
  }

  it("returns exactly the exhaustive top-k, whatever the query and the limit", () => {
    for (let q = 0; q < 200; q++) {
      const query = new Map(Array.from({ length: 1 + Math.floor(random() * 12) }, () => [pick(), random() < 0.3 ? 0.7 : 1] as const));
      const limit = [1, 5, 20, 200][q % 4]!;
      const got = index.search(query, weights, limit);
      const want = exhaustive(query, limit);
      expect(got.map((h) => h.score)).toEqual(want.map((h) => expect.closeTo(h.score, 9)));
    }
  });

  it("scores a given list of documents as the full search does (scoreDocuments)", () => {
    const query = new Map([["t0", 1], ["t3", 0.7], ["t20", 1]]);
    const full = index.search(query, weights, docs.length);
    const some = [full[5]!.doc, full[0]!.doc, 599, full[2]!.doc];
    const scored = index.scoreDocuments(query, weights, some);
    const expected = full.filter((h) => some.includes(h.doc));
    expect(scored.map((h) => h.doc)).toEqual(expected.map((h) => h.doc));
    expect(scored.map((h) => h.score)).toEqual(expected.map((h) => expect.closeTo(h.score, 9)));
  });

  it("keeps its filter, and leaves no score behind for the next query", () => {
    const query = new Map([["t0", 1], ["t1", 1], ["t30", 1]]);
    const even = index.search(query, weights, 10, undefined, (doc) => doc % 2 === 0);
    expect(even.every((h) => h.doc % 2 === 0)).toBe(true);
    expect(index.search(query, weights, 10)).toEqual(index.search(query, weights, 10));
  });
});
