import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkFiche, DEFAULT_CHUNK_OPTIONS, splitLongText } from "../corpus/chunker.js";
import type { Fiche } from "../corpus/fiche.js";
import { parseFiche } from "../corpus/fiche-parser.js";
import { fromXmlString } from "../corpus/xml-tree.js";
import { FIXTURES_35 } from "./helpers/fixtures.js";

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

function fixture(id: string): Fiche {
  return parseFiche(fromXmlString(readFileSync(join(FIXTURES_35, `${id}.xml`), "utf8")));
}

function makeFiche(overrides: Partial<Fiche> = {}): Fiche {
  return {
    id: "F100",
    title: "Titre de la fiche",
    description: "Résumé de la fiche.",
    url: "https://example.test/F100",
    audience: "Particuliers",
    theme: "Thème > Sous-thème",
    subject: "Thème",
    date: "2024-01-02",
    type: "Fiche pratique",
    sections: [
      { path: [], text: "Introduction." },
      { path: ["Chapitre"], text: "Texte du chapitre." },
      { path: ["Chapitre", "Cas"], text: "Texte du cas." },
    ],
    links: [],
    services: [],
    offices: [],
    references: [],
    definitions: [],
    relatedQuestions: [],
    ...overrides,
  };
}

describe("splitLongText", () => {
  it("returns short text unchanged as a single part", () => {
    expect(splitLongText("un deux trois", 3)).toEqual(["un deux trois"]);
    expect(splitLongText("", 3)).toEqual([""]);
  });

  it("splits at line boundaries, each part under the word limit", () => {
    const text = ["a b c", "d e", "f g h i", "j"].join("\n");
    expect(splitLongText(text, 5)).toEqual(["a b c\nd e", "f g h i\nj"]);
  });

  it("keeps a lone line longer than the limit whole", () => {
    const long = Array.from({ length: 12 }, (_, i) => `w${i}`).join(" ");
    expect(splitLongText(`court\n${long}\nfin`, 5)).toEqual(["court", long, "fin"]);
  });

  it("never loses or reorders lines", () => {
    const text = Array.from({ length: 40 }, (_, i) => `ligne ${i} ${"x ".repeat(i % 7)}`.trim()).join("\n");
    const parts = splitLongText(text, 20);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join("\n")).toBe(text);
    for (const part of parts) expect(wordCount(part)).toBeLessThanOrEqual(20);
  });
});

describe("chunkFiche", () => {
  it("makes one chunk per section with breadcrumb 'title > path' and the fiche metadata", () => {
    const chunks = chunkFiche(makeFiche(), "test-source");
    expect(chunks.map((c) => c.id)).toEqual(["F100#0", "F100#1", "F100#2"]);
    expect(chunks.map((c) => c.breadcrumb)).toEqual([
      "Titre de la fiche",
      "Titre de la fiche > Chapitre",
      "Titre de la fiche > Chapitre > Cas",
    ]);
    expect(chunks[2]).toEqual({
      id: "F100#2",
      ficheId: "F100",
      title: "Titre de la fiche",
      path: ["Chapitre", "Cas"],
      breadcrumb: "Titre de la fiche > Chapitre > Cas",
      text: "Texte du cas.",
      url: "https://example.test/F100",
      audience: "Particuliers",
      theme: "Thème > Sous-thème",
      date: "2024-01-02",
      source: "test-source",
    });
  });

  it("puts the summary on the first chunk only", () => {
    const chunks = chunkFiche(makeFiche(), "s");
    expect(chunks[0]?.summary).toBe("Résumé de la fiche.");
    expect(chunks.slice(1).every((c) => !("summary" in c))).toBe(true);
  });

  it("adds no summary when the fiche has no description", () => {
    const chunks = chunkFiche(makeFiche({ description: "" }), "s");
    expect(chunks.every((c) => !("summary" in c))).toBe(true);
  });

  it("splits long sections under the word limit, repeating the section's breadcrumb", () => {
    const long = Array.from({ length: 30 }, (_, i) => `Phrase numéro ${i} du chapitre.`).join("\n");
    const fiche = makeFiche({ sections: [{ path: ["Long"], text: long }] });
    const chunks = chunkFiche(fiche, "s", { maxWords: 25 });
    expect(chunks.length).toBe(6);
    expect(chunks.map((c) => c.id)).toEqual(["F100#0", "F100#1", "F100#2", "F100#3", "F100#4", "F100#5"]);
    for (const chunk of chunks) {
      expect(chunk.breadcrumb).toBe("Titre de la fiche > Long");
      expect(wordCount(chunk.text)).toBeLessThanOrEqual(25);
    }
    expect(chunks.map((c) => c.text).join("\n")).toBe(long);
  });

  it("chunks a real 3.5 fiche (F2655) with the default limit, keeping table rows whole", () => {
    const fiche = fixture("F2655");
    const chunks = chunkFiche(fiche, "vdd-xml");
    expect(DEFAULT_CHUNK_OPTIONS.maxWords).toBe(220);
    expect(chunks.length).toBeGreaterThan(fiche.sections.length);
    expect(chunks[0]?.summary).toBe(fiche.description);
    expect(chunks.filter((c) => c.summary !== undefined)).toHaveLength(1);

    const bonus = chunks.filter((c) => c.path.join(" > ") === "Quelles sont les règles de calcul du bonus et du malus ? > Bonus");
    expect(bonus.length).toBeGreaterThan(1);
    const original = fiche.sections.find((s) => s.path.at(-1) === "Bonus")!.text;
    expect(bonus.map((c) => c.text).join("\n")).toBe(original);
    const originalLines = new Set(original.split("\n"));
    for (const chunk of bonus) {
      expect(wordCount(chunk.text)).toBeLessThanOrEqual(220);
      for (const line of chunk.text.split("\n")) expect(originalLines.has(line)).toBe(true);
    }
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.id).toBe(`F2655#${i}`);
      expect(chunk.breadcrumb).toBe([fiche.title, ...chunk.path].join(" > "));
      expect(chunk).toMatchObject({
        ficheId: "F2655",
        url: fiche.url,
        audience: "Particuliers",
        theme: "Argent - Impôts - Consommation > Assurance automobile (véhicule)",
        date: "2025-05-26",
        source: "vdd-xml",
      });
    }
  });
});
