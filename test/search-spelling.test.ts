import type { Chunk } from "../corpus/chunk.js";
import { analyze, isStopword } from "../tools/search/analyzer.js";
import { EXPANSION_WEIGHT, expandQuery, expandQuestionText, REPLACED_WEIGHT } from "../tools/search/query-expansion.js";
import { SearchIndex } from "../tools/search/search-index.js";
import { boundedEditDistance, SpellingCorrector } from "../tools/search/spelling.js";
import { CITIZEN_TO_OFFICIAL } from "../tools/search/thesaurus.js";

function term(word: string): string {
  return analyze(word)[0]!;
}

/** A corrector over the terms of these words, each found in `frequency` documents. */
function correctorOf(entries: Array<[string, number]>, minFrequency?: number): SpellingCorrector {
  return new SpellingCorrector(new Map(entries.map(([word, frequency]) => [term(word), frequency])), minFrequency);
}

describe("boundedEditDistance", () => {
  it("counts substitutions, insertions, deletions and adjacent transpositions as one edit each", () => {
    expect(boundedEditDistance("divorce", "divorse", 2)).toBe(1);
    expect(boundedEditDistance("passeport", "pasport", 3)).toBe(2);
    expect(boundedEditDistance("enfant", "enfnat", 2)).toBe(1);
    expect(boundedEditDistance("salaire", "salaire", 2)).toBe(0);
  });

  it("stops at max + 1 once the distance is known to exceed max", () => {
    expect(boundedEditDistance("retraite", "logement", 2)).toBe(3);
    expect(boundedEditDistance("ab", "abcdef", 1)).toBe(2);
  });
});

describe("SpellingCorrector", () => {
  const corrector = correctorOf([
    ["déménagement", 40],
    ["divorce", 80],
    ["succession", 60],
    ["assurance", 500],
    ["administration", 300],
    ["enfant", 900],
    ["enfer", 3],
    ["propriétaire", 200],
    ["retrait", 150],
    ["rarissime", 1],
  ]);

  it("replaces an unknown term by the closest known one", () => {
    expect(corrector.correct("divorse", term("divorse"))).toBe(term("divorce"));
    expect(corrector.correct("enfent", term("enfent"))).toBe(term("enfant"));
    // Long words get two edits.
    expect(corrector.correct("proprietere", term("proprietere"))).toBe(term("propriétaire"));
  });

  it("leaves known terms, short terms, numbers and French words the index does not use", () => {
    expect(corrector.correct("divorce", term("divorce"))).toBeUndefined();
    expect(corrector.correct("enft", term("enft"))).toBeUndefined(); // 4-letter term: too short to correct
    expect(corrector.correct("2024abc", term("2024abc"))).toBeUndefined();
    // "ravoir" is French (and one edit from nothing known here); "revoir"-like guesses would change its meaning.
    expect(corrector.correct("ravoir", term("ravoir"))).toBeUndefined();
  });

  it("unglues a dropped elision (lassurance → assurance)", () => {
    expect(corrector.correct("lassurance", term("lassurance"))).toBe(term("assurance"));
    expect(corrector.correct("ladministration", term("ladministration"))).toBe(term("administration"));
  });

  it("ignores known terms rarer than the minimum, and needs the same first letter", () => {
    expect(corrector.correct("rarisime", term("rarisime"))).toBeUndefined();
    expect(corrector.correct("bivorce", term("bivorce"))).toBeUndefined();
    expect(correctorOf([["rarissime", 1]], 1).correct("rarisime", term("rarisime"))).toBe(term("rarissime"));
  });

  it("prefers the term found in more documents among equally close ones", () => {
    const ties = new SpellingCorrector(new Map([["maraud", 5], ["marand", 50]]));
    expect(ties.correct("marbnd", "marbnd")).toBe("marand");
    expect(ties.correct("marbnd", "marbnd")).toBe("marand"); // memoised answer
  });
});

describe("expandQuery with a corrector", () => {
  const corrector = correctorOf([["succession", 60], ["divorce", 80], ["licenciement", 100], ["virement", 40]]);

  it("searches the corrected term at full weight", () => {
    const query = expandQuery("divocre et sucession", corrector);
    expect(query.get(term("divorce"))).toBe(1);
    expect(query.get(term("succession"))).toBe(1);
    expect(query.has(term("divocre"))).toBe(false);
  });

  it("never corrects a citizen word the thesaurus knows (virer stays virer, and brings licenciement)", () => {
    const query = expandQuery("je me suis fait virer", corrector);
    expect(query.get(term("virer"))).toBe(1);
    expect(query.get(term("licenciement"))).toBe(EXPANSION_WEIGHT);
  });
});

describe("SearchIndex spelling", () => {
  function chunk(ficheId: string, title: string, text: string): Chunk {
    return {
      id: `${ficheId}#1`,
      ficheId,
      title,
      path: [],
      breadcrumb: title,
      text,
      url: `https://example.test/${ficheId}`,
      audience: "Particuliers",
      theme: "",
      date: "2024-01-01",
      source: "test",
    };
  }
  const chunks = [
    chunk("F1", "Divorce par convention", "Les époux d'accord signent une convention de divorce chez un avocat."),
    chunk("F2", "Succession", "La succession est réglée par le notaire quand le défunt laisse un bien."),
  ];
  // Other fiches that mention the same words in passing, so they are frequent enough to be corrected to.
  for (let i = 0; i < 6; i++) {
    chunks.push(
      chunk(`F1${i}`, `Autre démarche ${i}`, `Démarche ${i} en mairie : voir aussi divorce, succession, convention, notaire et avocat, puis la mairie, la préfecture et le service public.`),
    );
  }
  const index = SearchIndex.build(chunks);

  it("finds the fiche of a misspelt word, in the chunk ranking and in the whole-fiche re-ranking", () => {
    expect(index.rankFiches("conventoin de divocre", 1)).toEqual(["F1"]);
    expect(expandQuery("conventoin de divocre", index.spelling).get(term("divorce"))).toBe(1);
    expect(index.ficheIndex!.rank("sucession", ["F1", "F2", "F10"])[0]).toBe("F2");
    expect(index.spelling).toBe(index.spelling); // built once
  });
});

describe("thesaurus", () => {
  const expanded = (question: string): string[] => [...expandQuery(question)].filter(([, w]) => w === EXPANSION_WEIGHT).map(([t]) => t);

  it("maps how citizens say it to how the fiches say it", () => {
    expect(expanded("je me suis fait virer")).toEqual(expect.arrayContaining(analyze("licenciement")));
    // A replacing entry ("=" in the thesaurus): the official wording weighs as the user's words, "caution" less.
    const deposit = expandQuery("mon proprio garde ma caution");
    for (const term of analyze("restitution dépôt garantie")) expect(deposit.get(term)).toBe(1);
    expect(deposit.get(analyze("caution")[0]!)).toBe(REPLACED_WEIGHT);
    expect(expanded("j'ai droit au chômage si je démissionne ?")).toEqual(expect.arrayContaining(analyze("démission")));
    expect(expanded("bourré au volant")).toEqual(expect.arrayContaining(analyze("alcoolémie")));
    expect(expanded("comment rompre le pacs")).toEqual(expect.arrayContaining(analyze("dissolution")));
  });

  it("does not send carte vitale to assurance maladie", () => {
    expect(expandQuestionText("j'ai perdu ma carte vitale")).not.toContain("assurance maladie");
  });

  it("has keys in folded lower case, each with a topic word and an official wording", () => {
    const keys = Object.keys(CITIZEN_TO_OFFICIAL);
    expect(keys.length).toBeGreaterThan(1000);
    for (const [key, official] of Object.entries(CITIZEN_TO_OFFICIAL)) {
      expect(key).toBe(key.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase());
      // A key made only of stop words ("ce", "a", "on") would fire on nearly every question; "combien" is the
      // one question word kept on purpose (it asks for a cost or an amount).
      if (key !== "combien") expect(key.split(/[^\p{L}\p{N}]+/u).some((word) => word !== "" && !isStopword(word))).toBe(true);
      expect(analyze(official).length).toBeGreaterThan(0);
    }
  });
});
