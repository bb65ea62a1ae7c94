import { detectLanguage } from "../tools/lang/detect.js";
import { foldWords } from "../tools/lang/fold.js";
import { GLOSSARY, GLOSSARY_LANGUAGES, PhraseTable } from "../tools/lang/glossary/index.js";
import { parsePairs } from "../tools/lexicon/read.js";
import { translationNotice } from "../tools/lang/notices.js";
import { protect, restore } from "../tools/lang/protect.js";
import { translateQueryOffline } from "../tools/lang/translate-query.js";

describe("detectLanguage", () => {
  it.each([
    ["Comment renouveler ma carte d'identité ?", "fr"],
    ["How do I renew my residence permit?", "en"],
    ["¿Cómo renuevo mi permiso de residencia?", "es"],
    ["Como renovo a minha autorização de residência?", "pt"],
    ["Wie verlängere ich meine Aufenthaltserlaubnis?", "de"],
    ["Come rinnovo il permesso di soggiorno?", "it"],
    ["كيف أجدد بطاقة الإقامة؟", "ar"],
  ])("detects %s as %s", (text, language) => {
    expect(detectLanguage(text).language).toBe(language);
  });

  it("handles very short inputs with the glossaries and defaults to French when unsure", () => {
    expect(detectLanguage("passport")).toEqual({ language: "en", method: "glossary" });
    expect(detectLanguage("Reisepass").language).toBe("de");
    expect(detectLanguage("passeport").language).toBe("fr");
    expect(detectLanguage("APL").language).toBe("fr");
    expect(detectLanguage("carte grise perdue").language).toBe("fr");
    expect(detectLanguage("جواز السفر")).toEqual({ language: "ar", method: "script" });
  });

  it("reports und when there is no letter at all", () => {
    expect(detectLanguage("123 ?")).toEqual({ language: "und", method: "default" });
  });
});

describe("glossary", () => {
  it("holds at least 600 entries over six languages, each with a French side", () => {
    const total = GLOSSARY_LANGUAGES.reduce((n, l) => n + GLOSSARY[l].length, 0);
    expect(total).toBeGreaterThanOrEqual(600);
    for (const lang of GLOSSARY_LANGUAGES) expect(GLOSSARY[lang].length).toBeGreaterThanOrEqual(100);
    expect(GLOSSARY.en).toContainEqual({ source: "residence permit", french: "titre de séjour" });
  });

  it("rejects a line that is not two tab-separated columns, naming the file and line", () => {
    expect(() => parsePairs("# a\tb\npassport passeport", "en.tsv")).toThrow("en.tsv:2: expected two tab-separated");
    expect(() => parsePairs("passport\t", "en.tsv")).toThrow(/en.tsv:1/);
    expect(parsePairs("# comment\n\npassport\tpasseport\r\n", "en.tsv")).toEqual([["passport", "passeport"]]);
  });

  it("matches longest phrases first, ignoring case and accents", () => {
    const table = new PhraseTable(
      parsePairs("permit\tpermis\nresidence permit\ttitre de séjour\nsejour\tx", "test").map(([source, french]) => ({ source, french })),
    );
    expect(table.match(foldWords("My RESIDENCE Permit"))).toEqual([{ start: 1, length: 2, french: "titre de séjour" }]);
    expect(foldWords("Séjour d'été")).toEqual(["sejour", "d", "ete"]);
    expect(foldWords("البطاقة")).toEqual(["بطاقه"]);
  });
});

describe("translateQueryOffline", () => {
  it("turns a foreign question into French keywords, keeping acronyms and French words typed as they are", () => {
    expect(translateQueryOffline("How much does a French passport cost?", "en").query).toBe("combien prix passeport coût");
    expect(translateQueryOffline("¿Cómo solicito la APL?", "es").query).toBe("demande APL");
    expect(translateQueryOffline("Hello, how do I get a carte de séjour", "en").query).toBe("carte séjour");
    expect(translateQueryOffline("كيف أجدد بطاقة الإقامة؟", "ar").query).toContain("titre de séjour");
  });

  it("leaves the question alone when nothing is known or the language has no glossary", () => {
    expect(translateQueryOffline("blue sky", "en")).toEqual({ query: "blue sky", matched: 0, fromDictionary: 0 });
    // Only "apply" → "demande" is known: that says nothing of the subject, so the question stays as it is.
    const greenCard = "How do I apply for a green card in the United States?";
    expect(translateQueryOffline(greenCard, "en")).toEqual({ query: greenCard, matched: 0, fromDictionary: 0 });
    expect(translateQueryOffline("パスポート", "ja")).toEqual({ query: "パスポート", matched: 0, fromDictionary: 0 });
  });
});

describe("protect and restore", () => {
  const answer = "Le passeport coûte 86 € [1][2], voir https://www.service-public.fr/particuliers/vosdroits/F34752 (cerfa n°14011*02).";

  it("replaces citations, amounts, URLs, forms and titles by placeholders and puts them back", () => {
    const p = protect(`Combien coûte un passeport ? ${answer}`, ["Combien coûte un passeport ?"]);
    expect(p.values).toEqual([
      "Combien coûte un passeport ?",
      "86 €",
      "[1][2]",
      "https://www.service-public.fr/particuliers/vosdroits/F34752",
      "cerfa n°14011*02",
    ]);
    expect(p.text).not.toMatch(/\d{2}/);
    expect(restore(p.text, p.values)).toBe(`Combien coûte un passeport ? ${answer}`);
  });

  it("returns null when a placeholder is dropped, duplicated or invented", () => {
    const p = protect(answer);
    expect(restore(p.text.replace("⟦2⟧", ""), p.values)).toBeNull();
    expect(restore(`${p.text} ⟦1⟧`, p.values)).toBeNull();
    expect(restore(`${p.text} ⟦9⟧`, p.values)).toBeNull();
  });
});

it("has a translation notice per language, English for the others", () => {
  expect(translationNotice("es")).toMatch(/traducción automática/);
  expect(translationNotice("ja")).toBe(translationNotice("en"));
});
