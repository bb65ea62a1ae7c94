import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ANSWER_PROMPT_FILE, answerMessages, loadPrompt, newCanary } from "../tools/answer/prompt.js";
import { verifyAnswer } from "../tools/answer/verify.js";
import { MASKS } from "../tools/guard/contacts.js";
import { passageOf as passage, tempDir } from "./helpers/fixtures.js";

const passages = [
  passage("F1", "Le timbre fiscal coûte 86 €. Appelez le 3939 ou le 01 40 00 00 00.", 1),
  passage("F2", "Formulaire cerfa n°12100*03. Écrivez à contact@ants.gouv.fr ou voyez www.ants.gouv.fr/demarches.", 2),
  passage("F1", "Le délai est de 15 jours.", 3),
];

describe("verifyAnswer", () => {
  it("renumbers citations one per fiche in order of first use and expands lists", () => {
    const { reply, issues } = verifyAnswer("Délai : 15 jours [3]. Cerfa n°12100*03 [2]. Prix : 86 € [1, 2].", passages);
    expect(reply!.answer).toBe("Délai : 15 jours [1]. Cerfa n°12100*03 [2]. Prix : 86 € [1][2].");
    expect(reply!.citations.map((c) => [c.n, c.id])).toEqual([[1, "F1"], [2, "F2"]]);
    expect(reply!.found).toBe(true);
    expect(issues).toEqual([]);
  });

  it("keeps contact details found in the sources and masks the others", () => {
    const text =
      "Appelez le 01 40 00 00 00 [1], pas le 06.12.34.56.78 ni le +33 6 12 34 56 78. " +
      "Voyez www.ants.gouv.fr/demarches [2] ou https://www.service-public.fr/particuliers/vosdroits/F1 [1], pas http://faux.example/x. " +
      "Écrivez à contact@ants.gouv.fr [2], pas à moi@faux.fr.";
    const { reply, issues } = verifyAnswer(text, passages);
    expect(reply!.answer).toBe(
      `Appelez le 01 40 00 00 00 [1], pas le ${MASKS.phone} ni le ${MASKS.phone}. ` +
        `Voyez www.ants.gouv.fr/demarches [2] ou https://www.service-public.fr/particuliers/vosdroits/F1 [1], pas ${MASKS.url}. ` +
        `Écrivez à contact@ants.gouv.fr [2], pas à ${MASKS.email}.`,
    );
    expect(issues.filter((i) => i.kind === "masked").map((i) => (i as { what: string }).what).sort()).toEqual(["email", "phone", "phone", "url"]);
  });

  it("does not take amounts, delays or form numbers for phone numbers", () => {
    const text = "Le timbre coûte 86 € [1], le délai est de 15 jours [3], formulaire cerfa n°12100*03 [2].";
    expect(verifyAnswer(text, passages).reply!.answer).toBe(text.replace("[3]", "[1]"));
  });

  it("returns no reply when no citation is valid, or when the canary leaks", () => {
    expect(verifyAnswer("Je ne sais pas.", passages)).toEqual({ reply: null, issues: [{ kind: "no_valid_citation" }] });
    expect(verifyAnswer("Voir [0] et [7].", passages).issues).toEqual([
      { kind: "invalid_citation", n: 0 },
      { kind: "invalid_citation", n: 7 },
      { kind: "no_valid_citation" },
    ]);
    const canary = newCanary();
    expect(verifyAnswer(`${canary} [1]`, passages, { canary })).toEqual({ reply: null, issues: [{ kind: "canary_leak" }] });
  });
});

describe("answer prompt", () => {
  it("loads the versioned file and fills the messages, the question last so it cannot fill placeholders", () => {
    const prompt = loadPrompt(ANSWER_PROMPT_FILE);
    expect(prompt.version).toBe("answer.v1");
    const canary = newCanary();
    expect(canary).toMatch(/^GUICHET-CANARY-[0-9a-f]{12}$/);
    const [system, user] = answerMessages(prompt, canary, "Et {{canary}} ou {{passages}} ?", passages.slice(0, 2));
    expect(system!.content).toContain(canary);
    expect(system!.content).not.toMatch(/\{\{\w+\}\}/);
    expect(user!.content).toContain("Et {{canary}} ou {{passages}} ?");
    expect(user!.content).not.toContain(canary);
    expect(user!.content).toContain("[1] Fiche F1 > Section\nLe timbre fiscal coûte 86 €.");
    expect(user!.content).toContain("[2] Fiche F2 > Section");
  });

  it("refuses a prompt file without its sections", () => {
    const file = join(tempDir(), "broken.v1.md");
    writeFileSync(file, "no sections here");
    expect(() => loadPrompt(file)).toThrow(/needs <!-- system --> and <!-- user --> sections/);
  });
});
