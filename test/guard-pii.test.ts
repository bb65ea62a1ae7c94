import { findPii, redactPii } from "../tools/guard/pii.js";

/** NIR key: 97 - (number mod 97), Corsica 2A → 19 and 2B → 18. */
function nirKey(body: string): string {
  const n = BigInt(body.replace("2A", "19").replace("2B", "18"));
  return String(97n - (n % 97n)).padStart(2, "0");
}

describe("NIR", () => {
  const body = "1850275123456";
  const valid = body + nirKey(body);

  it.each([
    ["compact", valid],
    ["spaced", `${valid[0]} ${valid.slice(1, 3)} ${valid.slice(3, 5)} ${valid.slice(5, 7)} ${valid.slice(7, 10)} ${valid.slice(10, 13)} ${valid.slice(13)}`],
    ["dotted", `${valid[0]}.${valid.slice(1, 3)}.${valid.slice(3, 5)}.${valid.slice(5, 7)}.${valid.slice(7, 10)}.${valid.slice(10, 13)}.${valid.slice(13)}`],
  ])("redacts a NIR with a valid key (%s)", (_name, nir) => {
    expect(redactPii(`Mon NIR est ${nir}, merci.`)).toEqual({ text: "Mon NIR est [NIR], merci.", types: ["NIR"], count: 1 });
  });

  it.each(["2A", "2B"])("handles Corsica (%s) with its own key", (dep) => {
    const corsica = `28502${dep}123456`;
    const nir = corsica + nirKey(corsica);
    expect(redactPii(`NIR ${nir}`).types).toEqual(["NIR"]);
    // The key computed without the Corsica substitution is wrong.
    const wrongKey = String(97n - (BigInt(corsica.replace(dep, "20")) % 97n)).padStart(2, "0");
    if (wrongKey !== nirKey(corsica)) expect(redactPii(`NIR ${corsica}${wrongKey}`).types).toEqual([]);
  });

  it("leaves a NIR with a bad key alone", () => {
    const bad = body + (nirKey(body) === "01" ? "02" : "01");
    expect(redactPii(`NIR ${bad}`)).toEqual({ text: `NIR ${bad}`, types: [], count: 0 });
  });
});

describe("IBAN", () => {
  it.each(["FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189", "fr76 3000 6000 0112 3456 7890 189", "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19"])(
    "redacts a valid IBAN: %s",
    (iban) => {
      expect(redactPii(`virement sur ${iban} svp`)).toEqual({ text: "virement sur [IBAN] svp", types: ["IBAN"], count: 1 });
    },
  );

  it("leaves an IBAN failing mod-97 alone, and does not swallow the next word", () => {
    expect(redactPii("IBAN FR76 3000 6000 0112 3456 7890 188").types).toEqual([]);
    expect(redactPii("FR7630006000011234567890189 et voilà").text).toBe("[IBAN] et voilà");
  });
});

describe("phones", () => {
  it.each(["06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78", "+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78", "+33 (0)1 23 45 67 89", "01 23 45 67 89"])(
    "redacts %s",
    (phone) => {
      expect(redactPii(`Rappelez-moi au ${phone} demain`)).toEqual({ text: "Rappelez-moi au [TELEPHONE] demain", types: ["TELEPHONE"], count: 1 });
    },
  );

  it("leaves short or partial numbers alone", () => {
    expect(redactPii("référence 06 12 34").types).toEqual([]);
  });
});

describe("emails, cards and passports", () => {
  it("redacts emails", () => {
    expect(redactPii("écrivez à jean.dupont+caf@example.fr.")).toEqual({ text: "écrivez à [EMAIL].", types: ["EMAIL"], count: 1 });
  });

  it("redacts card numbers with a valid Luhn sum, not the others", () => {
    expect(redactPii("carte 4111 1111 1111 1111 volée").text).toBe("carte [CARTE_BANCAIRE] volée");
    expect(redactPii("carte 4111-1111-1111-1111").types).toEqual(["CARTE_BANCAIRE"]);
    expect(redactPii("carte 4111 1111 1111 1112").types).toEqual([]);
    // A SIRET passes Luhn but is no card number.
    expect(redactPii("SIRET 73282932000074").types).toEqual([]);
  });

  it("redacts passport numbers only near the word passport", () => {
    expect(redactPii("mon passeport 12AB34567 expire").text).toBe("mon passeport [PASSEPORT] expire");
    expect(redactPii("my passport number is 12 AB 34567").types).toEqual(["PASSEPORT"]);
    expect(redactPii("dossier 12AB34567 en mairie").types).toEqual([]);
  });
});

describe("what is left alone", () => {
  it.each([
    "Le loyer est de 1 234,56 € par mois",
    "Rendez-vous le 12/03/2025 à 14h30",
    "Né le 01.02.1985",
    "Dossier RG 23/04567 au tribunal",
    "Numéro de dossier CAF 2024-0012345",
    "Code postal 75015, article L. 262-2",
    "2 345 678 € de droits de succession",
  ])("%s", (text) => {
    expect(redactPii(text)).toEqual({ text, types: [], count: 0 });
  });
});

describe("several items", () => {
  it("lists each type once, in a fixed order, and counts every item", () => {
    const r = redactPii("tél 0612345678 ou 0712345678, mail a@b.fr, IBAN FR7630006000011234567890189");
    expect(r.types).toEqual(["IBAN", "EMAIL", "TELEPHONE"]);
    expect(r.count).toBe(4);
    expect(findPii(r.text)).toEqual([]);
  });
});
