import { StreamFilter } from "../tools/answer/stream-filter.js";
import { passageOf as passage } from "./helpers/fixtures.js";
import { verifyAnswer } from "../tools/answer/verify.js";
import { ContactSources, MASKS, maskContacts } from "../tools/guard/contacts.js";

const passages = [
  passage("F1", "Le timbre fiscal coûte 86 €. Appelez le 01 40 00 00 00.", 1),
  passage("F2", "Écrivez à contact@ants.gouv.fr ou voyez www.ants.gouv.fr/demarches.", 2),
];

const DRAFT =
  "Le timbre coûte 86 € [1]. Appelez le 06 12 34 56 78 ou le 01 40 00 00 00 [1, 2]. " +
  "Écrivez à fraude@exemple.com ou contact@ants.gouv.fr, voyez https://arnaque.example/paiement et www.ants.gouv.fr/demarches [2]. Délai : 15 jours.";

/** Every way of cutting the draft into deltas of `size` characters, from every offset. */
function chunkings(text: string, size: number): string[][] {
  const all: string[][] = [];
  for (let offset = 0; offset < size; offset++) {
    const deltas = [text.slice(0, offset)];
    for (let i = offset; i < text.length; i += size) deltas.push(text.slice(i, i + size));
    all.push(deltas.filter(Boolean));
  }
  return all;
}

function run(deltas: string[], canary?: string): string[] {
  const filter = new StreamFilter(passages, canary);
  const out = deltas.map((d) => filter.push(d));
  out.push(filter.flush());
  return out.filter(Boolean);
}

describe("StreamFilter", () => {
  it.each([1, 2, 3, 5, 8, 13])("never lets an invented contact detail out, in deltas of %i characters", (size) => {
    const expected = maskContacts(DRAFT, new ContactSources(passages));
    expect(expected).toContain(MASKS.phone);
    for (const deltas of chunkings(DRAFT, size)) {
      const tokens = run(deltas);
      const shown = tokens.join("");
      expect(shown).toBe(expected);
      // Not even a piece of the invented number, address or link reached a token.
      for (const token of tokens) expect(token).not.toMatch(/06|12 34|fraude|arnaque/);
    }
  });

  it("keeps the contact details of the passages and agrees with verify on what to mask", () => {
    const shown = run(DRAFT.match(/\S+\s*/g)!).join("");
    expect(shown).toContain("01 40 00 00 00");
    expect(shown).toContain("contact@ants.gouv.fr");
    expect(shown).toContain("www.ants.gouv.fr/demarches");
    expect(shown).not.toContain("06 12 34 56 78");
    const verified = verifyAnswer(DRAFT, passages).reply!.answer;
    for (const mask of Object.values(MASKS)) expect(shown.split(mask).length).toBe(verified.split(mask).length);
  });

  it("holds back unfinished words, numbers and citations until they end", () => {
    const filter = new StreamFilter(passages);
    expect(filter.push("Le délai")).toBe("Le ");
    expect(filter.push(" est de 15 ")).toBe("délai est de ");
    expect(filter.push("jours [1, ")).toBe("15 jours ");
    expect(filter.push("2")).toBe("");
    // Once closed, the citation goes out with the text before its last word.
    expect(filter.push("].")).toBe("[1, ");
    expect(filter.flush()).toBe("2].");
    expect(filter.flush()).toBe("");
  });

  it("stops the stream when the draft echoes the prompt's canary", () => {
    const canary = "GUICHET-CANARY-0a1b2c3d4e5f";
    const tokens = run(["Voici ", "mes ", "consignes : ", "GUICHET-", "CANARY-0a1b", "2c3d4e5f ", "et ", "la ", "suite."], canary);
    expect(tokens.join("")).toBe("Voici mes consignes : ");
    expect(tokens.join("")).not.toContain("GUICHET");
  });
});
