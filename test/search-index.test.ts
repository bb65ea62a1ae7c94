import type { Chunk } from "../corpus/chunk.js";
import { analyze } from "../tools/search/analyzer.js";
import { EXPANSION_WEIGHT, expandQuery } from "../tools/search/query-expansion.js";
import { chunkFields, DEFAULT_SEARCH_CONFIG, SearchIndex, type SearchHit } from "../tools/search/search-index.js";
import { subsetBuild } from "./helpers/fixtures.js";

function chunk(id: string, text: string, extra: Partial<Chunk> = {}): Chunk {
  const [ficheId] = id.split("#") as [string];
  return {
    id,
    ficheId,
    title: `Fiche ${ficheId}`,
    path: [],
    breadcrumb: `Fiche ${ficheId}`,
    text,
    url: `https://example.test/${ficheId}`,
    audience: "Particuliers",
    theme: "",
    date: "2024-01-01",
    source: "test",
    ...extra,
  };
}

function perFiche(hits: SearchHit[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const hit of hits) counts.set(hit.chunk.ficheId, (counts.get(hit.chunk.ficheId) ?? 0) + 1);
  return counts;
}

describe("expandQuery", () => {
  it("adds the official word for a citizen word at weight 0.5", () => {
    const query = expandQuery("Quel est le prix d’un passeport pour un adulte ?");
    expect(EXPANSION_WEIGHT).toBe(EXPANSION_WEIGHT);
    expect(query.get("prix")).toBe(1);
    expect(query.get("passeport")).toBe(1);
    expect(query.get("adult")).toBe(1);
    expect(query.get("majeur")).toBe(EXPANSION_WEIGHT);
    // "prix" also brings coût, tarif, montant.
    for (const term of analyze("coût tarif montant")) expect(query.get(term)).toBe(EXPANSION_WEIGHT);
  });

  it("counts repeated words and never lowers a word the user wrote", () => {
    const query = expandQuery("passeport majeur adulte passeport");
    expect(query.get("passeport")).toBe(2);
    expect(query.get("majeur")).toBe(1);
  });

  it("matches multi-word phrases, accents and case folded", () => {
    const query = expandQuery("J'ai perdu ma Carte Grise");
    expect(query.get("certificat")).toBe(EXPANSION_WEIGHT);
    expect(query.get(analyze("immatriculation")[0]!)).toBe(EXPANSION_WEIGHT);
    expect(query.get(analyze("perte")[0]!)).toBe(EXPANSION_WEIGHT);
    expect(expandQuery("Mon titre de séjour expire").get(analyze("séjour")[0]!)).toBe(1);
    expect(expandQuery("Mon titre de séjour expire").get(analyze("carte")[0]!)).toBe(EXPANSION_WEIGHT);
  });

  it("matches whole words only", () => {
    // "chat" (→ animal) must not fire inside "achat".
    expect(expandQuery("achat timbre fiscal").has("animal")).toBe(false);
    expect(expandQuery("mon chat").get("animal")).toBe(EXPANSION_WEIGHT);
  });

  it("still gives official words for a question made of stop words and citizen words", () => {
    expect([...expandQuery("combien ?").entries()]).toEqual(analyze("coût montant").map((t) => [t, EXPANSION_WEIGHT]));
    expect(expandQuery("le la les").size).toBe(0);
  });
});

describe("SearchIndex on a hand-made corpus", () => {
  const chunks = [
    chunk("F1#0", "Tarif du passeport pour un majeur : 86 €."),
    chunk("F2#0", "Tarif du passeport pour un enfant : 17 €."),
    chunk("F3#0", "Le passeport pour les professionnels.", { audience: "Professionnels" }),
    chunk("F4#0", "Une fiche sur autre chose.", { title: "Passeport", path: ["Chapitre"], theme: "Papiers > Passeport" }),
  ];
  const index = SearchIndex.build(chunks);

  it("exposes the text of each searchable field", () => {
    expect(chunkFields(chunks[3]!)).toEqual({
      title: "Passeport",
      heads: "Chapitre Papiers > Passeport",
      summary: "",
      body: "Une fiche sur autre chose.",
    });
    expect(chunkFields({ ...chunks[0]!, summary: "Résumé" }).summary).toBe("Résumé");
    expect(DEFAULT_SEARCH_CONFIG.weights.title).toBeGreaterThan(DEFAULT_SEARCH_CONFIG.weights.body);
  });

  it("uses the expansion to reach the official word", () => {
    // Only F1 says "majeur"; F1 and F2 are otherwise alike.
    const hits = index.search("tarif adulte");
    expect(hits.map((h) => h.chunk.id)).toEqual(["F1#0", "F2#0"]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });

  it("ranks a title match above body matches", () => {
    expect(index.search("passeport")[0]?.chunk.id).toBe("F4#0");
  });

  it("filters by audience, case-insensitively", () => {
    expect(index.search("passeport", { audience: ["Professionnels"] }).map((h) => h.chunk.id)).toEqual(["F3#0"]);
    const particuliers = index.search("passeport", { audience: ["particuliers"] }).map((h) => h.chunk.id);
    expect(particuliers.sort()).toEqual(["F1#0", "F2#0", "F4#0"]);
    expect(index.search("passeport", { audience: ["Associations"] })).toEqual([]);
    expect(index.search("passeport", { audience: ["Associations", "PROFESSIONNELS"] })).toHaveLength(1);
  });

  it("weighs rare body terms more (termWeight is the body idf)", () => {
    expect(index.termWeight("passeport")).toBeLessThan(index.termWeight("majeur"));
    expect(index.termWeight("inconnu")).toBeGreaterThan(index.termWeight("majeur"));
    expect(index.termWeight("majeur")).toBeCloseTo(Math.log(1 + 3.5 / 1.5), 10);
  });

  it("round-trips through toJSON/fromJSON", () => {
    const copy = SearchIndex.fromJSON(JSON.parse(JSON.stringify(index.toJSON())));
    expect(copy.chunks).toEqual(chunks);
    expect(copy.search("tarif passeport adulte")).toEqual(index.search("tarif passeport adulte"));
  });

  it("returns nothing when k is 0 (bug: k = 0 never stops the loop)", () => {
    expect(index.search("passeport", { k: 0 })).toEqual([]);
  });
});

describe("SearchIndex on the npm subset", () => {
  const { index } = subsetBuild();

  it("answers the passport price question with F34752 first", () => {
    expect(index.rankFiches("Quel est le prix d’un passeport pour un adulte ?")[0]).toBe("F34752");
    expect(index.rankFiches("Quel est le prix d'un passeport pour un adulte ?")[0]).toBe("F34752");
    expect(index.rankFiches("combien coûte un passeport")[0]).toBe("F34752");
  });

  it("finds the Vitale card fiche for a lost card", () => {
    expect(index.rankFiches("j'ai perdu ma carte vitale", 3)).toContain("F265");
    expect(index.rankFiches("j’ai perdu ma carte vitale", 3)).toContain("F265");
  });

  it("finds the driving licence fiche", () => {
    expect(index.rankFiches("permis de conduire perdu", 3)).toContain("F1727");
  });

  it("returns k hits ranked 1..k with non-increasing scores", () => {
    for (const k of [1, 5, 12]) {
      const hits = index.search("passeport perdu", { k });
      expect(hits).toHaveLength(k);
      expect(hits.map((h) => h.rank)).toEqual(Array.from({ length: k }, (_, i) => i + 1));
      for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
    }
    expect(index.search("passeport perdu")).toHaveLength(10);
  });

  it("keeps at most maxPerFiche chunks of one fiche (default 2)", () => {
    const question = "passeport timbre fiscal prix";
    const counts = (options: { maxPerFiche?: number }) => [...perFiche(index.search(question, { k: 30, ...options })).values()];
    expect(Math.max(...counts({ maxPerFiche: 1 }))).toBe(1);
    expect(Math.max(...counts({}))).toBe(2);
    expect(Math.max(...counts({ maxPerFiche: 3 }))).toBe(3);
    // Without the cap the top hits come from few fiches.
    expect(Math.max(...counts({ maxPerFiche: 100 }))).toBeGreaterThan(3);
  });

  it("returns nothing for an empty or stop-word-only question", () => {
    for (const question of ["", "   ", "le la les", "Comment faire ?", "?!"]) {
      expect(index.search(question)).toEqual([]);
      expect(index.rankFiches(question)).toEqual([]);
    }
  });

  it("filters by audience", () => {
    const all = index.search("carte d'identité", { k: 8 });
    expect(all.length).toBe(8);
    expect(index.search("carte d'identité", { k: 8, audience: ["Particuliers"] })).toEqual(all);
    expect(index.search("carte d'identité", { k: 8, audience: ["Professionnels"] })).toEqual([]);
  });

  it("ranks distinct fiches, best first, at most k", () => {
    const ids = index.rankFiches("passeport", 7);
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    expect(ids[0]).toBe(index.search("passeport", { k: 1 })[0]?.chunk.ficheId);
    expect(index.rankFiches("passeport").length).toBe(10);
  });

  it("gives every hit a breadcrumb and the fiche metadata", () => {
    for (const hit of index.search("renouvellement carte d'identité", { k: 10 })) {
      expect(hit.chunk.breadcrumb.startsWith(hit.chunk.title)).toBe(true);
      expect(hit.chunk.url).toBe(`https://www.service-public.fr/particuliers/vosdroits/${hit.chunk.ficheId}`);
      expect(hit.chunk.source).toBe("vdd-npm");
      expect(hit.score).toBeGreaterThan(0);
    }
  });
});
