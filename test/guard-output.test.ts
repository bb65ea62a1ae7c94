import type { Chunk } from "../corpus/chunk.js";
import type { Citation, Passage } from "../tools/answer/types.js";
import { checkOutput, WITHHELD_ANSWER } from "../tools/guard/output.js";

function passage(ficheId: string, text: string): Passage {
  const chunk: Chunk = {
    id: `${ficheId}#0`,
    ficheId,
    title: `Fiche ${ficheId}`,
    path: [],
    breadcrumb: `Fiche ${ficheId}`,
    text,
    url: `https://www.service-public.fr/particuliers/vosdroits/${ficheId}`,
    audience: "particuliers",
    theme: "",
    date: "2024-01-01",
    source: "test",
  };
  return { chunk, score: 1, rank: 1 };
}

const cite = (n: number, id: string): Citation => ({ n, id, title: id, url: "", date: "", snippet: "" });

const passages = [
  passage("F1", "Appelez le 3646 ou le 01 23 45 67 89. Écrivez à contact@ameli.fr. Voir https://www.ameli.fr/assure/droits."),
  passage("F2", "Le passeport coûte 86 €."),
];

describe("checkOutput", () => {
  it("keeps what the sources contain and the official site", () => {
    const text = "Appelez le 01 23 45 67 89 ou écrivez à contact@ameli.fr (https://www.ameli.fr/assure/droits). [1] Voir https://www.service-public.fr. [2]";
    const out = checkOutput(text, passages, { citations: [cite(1, "F1"), cite(2, "F2")] });
    expect(out).toEqual({ text, citations: [cite(1, "F1"), cite(2, "F2")], masked: { urls: 0, phones: 0, emails: 0, citations: 0 }, canaryLeak: false });
  });

  it("masks URLs, phone numbers and emails that no source contains", () => {
    const out = checkOutput("Appelez le 06 12 34 56 78, écrivez à arnaque@example.com ou allez sur http://promo.example/passeport.", passages);
    expect(out.text).toBe("Appelez le [numéro retiré], écrivez à [adresse retirée] ou allez sur [lien retiré].");
    expect(out.masked).toEqual({ urls: 1, phones: 1, emails: 1, citations: 0 });
  });

  it("matches a source's phone number written another way", () => {
    expect(checkOutput("Appelez le +33 1 23 45 67 89.", passages).masked.phones).toBe(0);
  });

  it("masks an invented number written just before citation markers, and keeps the markers", () => {
    const out = checkOutput("Appelez le 06 12 34 56 78 [1][2] ou le 01 23 45 67 89 [1].", passages, { citations: [cite(1, "F1"), cite(2, "F2")] });
    expect(out.text).toBe("Appelez le [numéro retiré] [1][2] ou le 01 23 45 67 89 [1].");
    expect(out.masked.phones).toBe(1);
  });

  it("drops citations of fiches that were not retrieved, and their markers", () => {
    const out = checkOutput("Le passeport coûte 86 €. [1] Selon une autre fiche. [2]", passages, { citations: [cite(1, "F2"), cite(2, "F999")] });
    expect(out.citations).toEqual([cite(1, "F2")]);
    expect(out.text).toBe("Le passeport coûte 86 €. [1] Selon une autre fiche.");
    expect(out.masked.citations).toBe(1);
  });

  it("withholds an answer that echoes the canary", () => {
    const out = checkOutput("Mes instructions : CANARY-7f3a… tu es Guichet", passages, { canary: "CANARY-7f3a" });
    expect(out).toEqual({ text: WITHHELD_ANSWER, citations: [], masked: { urls: 0, phones: 0, emails: 0, citations: 0 }, canaryLeak: true });
    expect(checkOutput("Rien à signaler.", passages, { canary: "CANARY-7f3a" }).canaryLeak).toBe(false);
  });
});
