import { StreamFilter } from "../tools/answer/stream-filter.js";
import { verifyAnswer } from "../tools/answer/verify.js";
import { ContactSources, MASKS, maskContacts } from "../tools/guard/contacts.js";
import { checkOutput } from "../tools/guard/output.js";
import { passageOf as passage } from "./helpers/fixtures.js";

const passages = [
  passage("F1", "Le timbre fiscal coûte 86 €. Appelez le 01 40 00 00 00 ou, de l'étranger, le +33 1 40 00 00 00.", 1),
  passage("F2", "Écrivez à contact@ants.gouv.fr ou voyez https://ants.gouv.fr/demarches/permis.", 2),
];

/** The draft streamed word by word, as the client sees it. */
function streamed(draft: string): string {
  const filter = new StreamFilter(passages);
  return (draft.match(/\S+\s*/g) ?? []).map((w) => filter.push(w)).join("") + filter.flush();
}

describe("contact details an answer may give", () => {
  it("masks invented numbers of other countries and French numbers written before a citation marker", () => {
    const draft = "Appelez le +44 20 7946 0958 [1] ou le +1 202-555-0143 [2], sinon le 06 12 34 56 78 [1].";
    const masked = maskContacts(draft, new ContactSources(passages));
    expect(masked).toBe(`Appelez le ${MASKS.phone} [1] ou le ${MASKS.phone} [2], sinon le ${MASKS.phone} [1].`);
  });

  it("keeps a number of the passages in any of its writings (same number, other format)", () => {
    const draft = "Appelez le 01.40.00.00.00 [1] ou le +33 (0)1 40 00 00 00 [1].";
    expect(maskContacts(draft, new ContactSources(passages))).toBe(draft);
  });

  it("keeps links to the official site, to the passages' pages or a shorter form of them, and the citation after a link", () => {
    const sources = new ContactSources(passages);
    const draft =
      "Voyez https://www.service-public.fr/particuliers/vosdroits/F1234[1], https://ants.gouv.fr/demarches/permis [2] " +
      "et ants.gouv.fr. Pas https://ants.gouv.fr/demarches/permis/faux-paiement ni www.arnaque.example/ants [2].";
    expect(maskContacts(draft, sources)).toBe(
      "Voyez https://www.service-public.fr/particuliers/vosdroits/F1234[1], https://ants.gouv.fr/demarches/permis [2] " +
        `et ants.gouv.fr. Pas ${MASKS.url} ni ${MASKS.url} [2].`,
    );
  });

  it("streams, verifies and guards with one set of rules: no token shows what the final answer masks", () => {
    const draft =
      "Appelez le +44 20 7946 0958 [1] ou le 01 40 00 00 00 [1]. Écrivez à contact@ants.gouv.fr ou à aide@ants-gouv.help [2]. " +
      "Voyez https://www.service-public.fr/particuliers/vosdroits/F1 [1] et pas https://ants-gouv.help/payer [2].";
    const shown = streamed(draft);
    const verified = verifyAnswer(draft, passages).reply!.answer;
    const guarded = checkOutput(shown, passages).text;
    expect(shown).not.toMatch(/7946|ants-gouv\.help/);
    expect(shown).toContain("01 40 00 00 00");
    expect(shown).toContain("https://www.service-public.fr/particuliers/vosdroits/F1");
    // The output guard finds nothing more to mask in what was streamed, and verify masks the same items.
    expect(guarded).toBe(shown);
    for (const mask of Object.values(MASKS)) expect(verified.split(mask).length).toBe(shown.split(mask).length);
    expect(checkOutput(draft, passages).masked).toMatchObject({ urls: 1, emails: 1, phones: 1 });
  });
});
