import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Fiche, Section } from "../corpus/fiche.js";
import { FicheParseError, parseFiche } from "../corpus/fiche-parser.js";
import { fromXmlString } from "../corpus/xml-tree.js";
import { FIXTURES_35 } from "./helpers/fixtures.js";

interface ReadmeRow {
  id: string;
  title: string;
  date: string;
  elements: string[];
}

/** The fixture table of README.md: | id | title | modified date | elements present |. */
function readmeRows(): ReadmeRow[] {
  const readme = readFileSync(join(FIXTURES_35, "README.md"), "utf8");
  return readme
    .split("\n")
    .filter((line) => /^\| F\d+ \|/.test(line))
    .map((line) => {
      const [id, title, date, elements] = line.split("|").slice(1, 5).map((cell) => cell.trim()) as [
        string,
        string,
        string,
        string,
      ];
      return { id, title, date: date.replace(/^modified /, ""), elements: elements.split(/[,/ ]+/).filter(Boolean) };
    });
}

const ROWS = readmeRows();
const FICHES = new Map<string, Fiche>(
  ROWS.map((row) => [row.id, parseFiche(fromXmlString(readFileSync(join(FIXTURES_35, `${row.id}.xml`), "utf8")))]),
);

function fiche(id: string): Fiche {
  const found = FICHES.get(id);
  if (!found) throw new Error(`no fixture ${id}`);
  return found;
}

function section(f: Fiche, ...path: string[]): Section {
  const found = f.sections.find((s) => JSON.stringify(s.path) === JSON.stringify(path));
  if (!found) throw new Error(`${f.id}: no section ${JSON.stringify(path)}`);
  return found;
}

function lines(s: Section): string[] {
  return s.text.split("\n");
}

describe("schema 3.5 fixtures: every file", () => {
  it("has one README row per XML file (12 fiches)", () => {
    const files = readdirSync(FIXTURES_35).filter((name) => name.endsWith(".xml")).map((n) => n.replace(".xml", ""));
    expect(ROWS).toHaveLength(12);
    expect(ROWS.map((r) => r.id).sort()).toEqual(files.sort());
  });

  it.each(ROWS.map((row) => [row.id, row] as const))("%s parses with the README title, date and url", (id, row) => {
    const f = fiche(id);
    expect(f.id).toBe(id);
    expect(f.title).toBe(row.title);
    expect(f.date).toBe(row.date);
    expect(f.url).toBe(`https://www.service-public.gouv.fr/particuliers/vosdroits/${id}`);
    expect(f.audience).toBe("Particuliers");
    expect(f.description.length).toBeGreaterThan(20);
    expect(f.theme).not.toMatch(/Accueil/);
    expect(f.theme.split(" > ").length).toBeGreaterThanOrEqual(2);
    expect(f.sections.length).toBeGreaterThan(0);
    expect(f.sections.every((s) => s.text.trim() !== "" && !s.text.includes("\u0001"))).toBe(true);
    // Every README row lists a Reference; all point to Légifrance.
    expect(f.references.length).toBeGreaterThan(0);
    for (const ref of f.references) {
      expect(ref.title).not.toBe("");
      expect(ref.url).toMatch(/^https:\/\/www\.legifrance\.gouv\.fr\//);
    }
  });

  it.each(ROWS.map((row) => [row.id, row] as const))("%s has definitions, services, questions as the README says", (id, row) => {
    const f = fiche(id);
    const has = (element: string) => row.elements.includes(element);
    expect(f.definitions.length > 0).toBe(has("Definition"));
    expect(f.sections.some((s) => s.path[0] === "Définitions")).toBe(has("Definition"));
    expect(f.services.length > 0).toBe(has("ServiceEnLigne"));
    expect(f.relatedQuestions.length > 0).toBe(has("QuestionReponse"));
    expect(f.sections.some((s) => s.path[0] === "Où s'adresser ?")).toBe(has("OuSAdresser"));
    expect(f.links.some((l) => l.kind === "external")).toBe(has("LienExterne"));
    expect(f.links.some((l) => l.kind === "internal")).toBe(has("LienInterne"));
    if (has("Chapitre")) expect(f.sections.some((s) => s.path.length > 0)).toBe(true);
    for (const def of f.definitions) {
      expect(def.id).toMatch(/^R\d+$/);
      expect(def.term).not.toBe("");
      expect(def.text).not.toContain("\n");
    }
  });
});

describe("schema 3.5 fixtures: structure", () => {
  it("F2626 and F31403 (Texte without Chapitre, no Introduction) give one untitled section", () => {
    for (const id of ["F2626", "F31403"]) {
      expect(fiche(id).sections.map((s) => s.path)).toEqual([[]]);
    }
    expect(lines(fiche("F2626").sections[0]!)).toContain(
      "- Garantie bris de machine, qui couvre la casse accidentelle ou la destruction du matériel dans les locaux d'exploitation (l'usure ou les dégâts relevant de la garantie du constructeur sont exclus).",
    );
  });

  it("F2655 renders the Tableau rows as 'first cell — header : value ; ...', superscripts glued", () => {
    const bonus = lines(section(fiche("F2655"), "Quelles sont les règles de calcul du bonus et du malus ?", "Bonus"));
    expect(bonus).toContain(
      "Souscription — Coefficient bonus : 1 ; Calcul du coefficient : - ; Exemple avec un prime de référence de 1 000 € : 1 000 €",
    );
    expect(bonus).toContain(
      "1er anniversaire — Coefficient bonus : 0,95 ; Calcul du coefficient : 1*0,95 = 0,95 ; Exemple avec un prime de référence de 1 000 € : 950 €",
    );
    const rows = bonus.filter((line) => / anniversaire — Coefficient bonus : /.test(line));
    expect(rows).toHaveLength(13);
    expect(rows[12]).toMatch(/^13e anniversaire — Coefficient bonus : 0,50 ;/);
    // The header row is not a data row; the note after the table follows the rows.
    expect(bonus.some((line) => line.startsWith("Ancienneté du contrat"))).toBe(false);
    expect(bonus.at(-1)).toMatch(/^À noter : Le coefficient obtenu par l'application de la règle du bonus-malus/);
  });

  it("F2655 keeps the table caption given as TitreRiche (bug: only Titre is read)", () => {
    const bonus = lines(section(fiche("F2655"), "Quelles sont les règles de calcul du bonus et du malus ?", "Bonus"));
    const caption = bonus.indexOf("Tableau illustré du bonus-malus");
    expect(caption).toBeGreaterThan(-1);
    expect(bonus[caption + 1]).toMatch(/^Souscription — /);
  });

  it("F2655 renders Attention, Exemple, ASavoir and ANoter notes with their labels", () => {
    const f = fiche("F2655");
    const vehicles = lines(section(f, "Quels sont les véhicules concernés par le bonus-malus ?"));
    expect(vehicles[1]).toBe(
      "Attention : Les véhicules, matériels ou engins suivants sont exclus du système du bonus-malus :",
    );
    expect(vehicles[2]).toBe("- Cyclomoteur");
    expect(vehicles.at(-1)).toBe("- Matériel de travaux publics.");
    expect(lines(section(f, "Quelle est la période prise en compte pour calculer le bonus-malus ?"))).toContain(
      "Exemple : Pour un contrat dont l'échéance annuelle est le 31 décembre 2025, la période de référence doit se terminer 2 mois avant cette échéance, donc le 31 octobre 2025.",
    );
    expect(lines(section(f, "Quelles sont les règles de calcul du bonus et du malus ?", "Malus")).at(-1)).toBe(
      "À savoir : Si vous avez un coefficient de 0,50 depuis au moins 3 ans, le 1er accident responsable qui survient n'entraîne pas l'application du malus.",
    );
  });

  it("F21138 nests BlocCas inside a Cas: Chapitre > Cas > Cas", () => {
    const f = fiche("F21138");
    const paths = f.sections.map((s) => s.path.join(" > "));
    expect(paths).toEqual([
      "",
      "Prévenir la police ou la gendarmerie",
      "Porter plainte",
      "Porter plainte > Sur place",
      "Porter plainte > En ligne > Vous ne connaissez pas l'auteur des faits",
      "Porter plainte > En ligne > Vous connaissez l'auteur des faits",
      "Porter plainte > Par courrier",
      "Déclarer le vol à l'assurance",
      "Demander une indemnisation en cas de véhicule non retrouvé",
      "Services en ligne",
      "Où s'adresser ?",
      "Définitions",
    ]);
    expect(lines(section(f, "Porter plainte", "En ligne", "Vous ne connaissez pas l'auteur des faits")).slice(0, 2)).toEqual([
      "Vous pouvez porter plainte en ligne :",
      "Service en ligne : Plainte en ligne",
    ]);
    expect(section(f, "Porter plainte", "En ligne", "Vous connaissez l'auteur des faits").text).toBe(
      "Vous ne pouvez pas utiliser la plainte en ligne. Vous devez déposer plainte sur place ou par courrier.",
    );
    // OuSAdresser with a PivotLocal inside the text: the office name only.
    expect(lines(section(f, "Porter plainte", "Sur place")).slice(1, 3)).toEqual([
      "Où s'adresser : Commissariat",
      "Où s'adresser : Brigade de gendarmerie",
    ]);
  });

  it("F21138 lists its ServiceEnLigne (Téléservice and lettreTypeNG) with ids and URLs", () => {
    const f = fiche("F21138");
    expect(f.services.map((s) => [s.id, s.type])).toEqual([
      ["R19620", "Téléservice"],
      ["R11469", "lettreTypeNG"],
      ["R59004", "Téléservice"],
    ]);
    expect(f.services[0]).toEqual({
      id: "R19620",
      title: "Plainte en ligne",
      url: "https://www.masecurite.interieur.gouv.fr/fr/demarches-en-ligne/plainte-en-ligne",
      type: "Téléservice",
    });
    expect(lines(section(f, "Services en ligne"))).toEqual([
      "- Plainte en ligne",
      "- Porter plainte auprès du procureur de la République",
      "- Victime d'infraction : faire une demande d'indemnisation auprès du fonds de garantie des victimes",
    ]);
    expect(f.definitions.map((d) => d.term)).toContain("Jour ouvré");
    expect(f.links).toContainEqual({ text: "jours ouvrés", kind: "intra", target: "R17509" });
  });

  it("F21619 nests BlocCas with a Cas-level Introduction", () => {
    const f = fiche("F21619");
    expect(section(f, "Caravane attelée à une voiture").text).toBe(
      "La caravane attelée à une voiture est considérée comme un véhicule mis en circulation et elle est soumise à l'obligation d'assurance auto responsabilité civile.\n" +
        "En fonction de son poids, la caravane peut être couverte ou non par l'assurance de la voiture :",
    );
    const light = lines(
      section(f, "Caravane attelée à une voiture", "Caravane dont le poids est inférieur ou égal à 750 kg"),
    );
    expect(light[0]).toBe("La caravane peut être couverte par l'assurance de la voiture, gratuitement ou moyennant un supplément.");
    expect(light.slice(-6)).toEqual([
      "- Dommages accidents",
      "- Incendie-explosion",
      "- Vol et vol par effraction (pour les objets à l'intérieur de la caravane)",
      "- Tempête",
      "- Catastrophe naturelle et actes de terrorisme",
      "- Protection juridique.",
    ]);
    expect(section(f, "Caravane attelée à une voiture", "Caravane de plus de 750 kg").text).toMatch(
      /^La caravane doit être assurée par un contrat séparé/,
    );
    expect(section(f, "Caravane non attelée et hors terrain (hors circulation)").text).toMatch(/^Une caravane seule/);
    // FicheConnexe and QuiPeutMAider are not body text.
    const all = f.sections.map((s) => s.text).join("\n");
    expect(all).not.toContain("trottinette");
  });

  it("F2706 turns ListeSituations/Situation into the first path level, with numbered lists", () => {
    const f = fiche("F2706");
    expect(section(f, "Cas général").text).toBe("Selon les contrats, la franchise peut être relative ou absolue.");
    expect(lines(section(f, "Cas général", "Comment fonctionne la franchise relative en assurance automobile ?"))).toEqual([
      "La franchise relative détermine si l'assureur interviendra en fonction du montant des dommages.",
      "Si le montant des réparations est inférieur ou égal à celui de la franchise, vous ne serez pas indemnisé.",
      "Si le montant des réparations est supérieur à celui de la franchise, vous serez entièrement indemnisé.",
      "Exemple : Si la franchise est de 150 € :",
      "- Pour un sinistre de 100 €, vous ne recevrez rien,",
      "- Pour un sinistre de 200 €, vous serez remboursé intégralement.",
    ]);
    const delay = lines(section(f, "Catastrophe naturelle", "Quel est le délai d'indemnisation en cas de catastrophe naturelle ?"));
    expect(delay.slice(1)).toEqual([
      "1. L'évènement doit être reconnue par un arrêté ministériel",
      "2. À partir de cette reconnaissance, vous disposez de 30 jours pour déclarer votre sinistre",
      "3. Une fois la demande complète reçue, l'assureur doit vous verser une provision d'indemnisation sous 21 jours",
      "4. Le paiement total de l'indemnisation doit intervenir dans un délai maximum de 3 mois.",
    ]);
    const situations = f.sections.map((s) => s.path[0]).filter(Boolean);
    expect(situations.indexOf("Catastrophe naturelle")).toBeGreaterThan(situations.lastIndexOf("Cas général"));
  });

  it("F31258 and F3049 put SousChapitre below its Chapitre", () => {
    const rc = fiche("F31258");
    expect(section(rc, "Comment obtenir la garantie responsabilité civile ?", "Souscription").text.length).toBeGreaterThan(50);
    expect(section(rc, "Comment obtenir la garantie responsabilité civile ?", "Points à vérifier au contrat").text.length).toBeGreaterThan(50);
    const pj = fiche("F3049");
    expect(section(pj, "Quelles prestations sont fournies par la garantie protection juridique ?", "Services en cas de litige")).toBeDefined();
    expect(section(pj, "Quelles prestations sont fournies par la garantie protection juridique ?", "Frais de procédure")).toBeDefined();
    expect(pj.sections.every((s) => s.path.length <= 2)).toBe(true);
  });

  it("F21616 keeps a LienExterne inside an OuSAdresser and Formulaire services", () => {
    const f = fiche("F21616");
    expect(f.links).toContainEqual({
      text: "Accès au formulaire de contact",
      kind: "external",
      target: "http://www.fondsdegarantie.fr/nous-contacter",
    });
    expect(f.services.map((s) => s.type)).toEqual(["Formulaire", "Formulaire"]);
    const covered = lines(
      section(
        f,
        "En cas d'accident avec un animal sauvage, les dommages corporels du conducteur sont-ils indemnisés ?",
        "Vous avez souscrit une assurance dommages corporels",
      ),
    );
    const office = covered.indexOf("Où s'adresser : Fonds de garantie des assurances obligatoires de dommages (FGAO)");
    expect(office).toBeGreaterThan(0);
    expect(covered[office - 2]).toBe(
      "Service en ligne : Demande d'indemnisation au FGAO par une victime d'un accident de la circulation ou de chasse",
    );
    expect(covered).toContain("Accès au formulaire de contact");
    expect(section(f, "Où s'adresser ?").text).toBe("- Fonds de garantie des assurances obligatoires de dommages (FGAO)");
    expect(f.relatedQuestions).toEqual([
      { id: "F2706", question: "Franchise d'assurance automobile : comment ça marche ?" },
      { id: "F39103", question: "Qu'est-ce qu'un véhicule terrestre à moteur ?" },
    ]);
  });

  it("F2685 reads numbered Chapitre titles and its Definitions", () => {
    const f = fiche("F2685");
    expect(f.sections[1]?.path).toEqual(["Porter plainte"]);
    expect(section(f, "Obtenir l'indemnisation de l'assureur", "La voiture est retrouvée")).toBeDefined();
    expect(f.definitions.length).toBe(3);
  });
});

describe("parseFiche and fromXmlString: bad inputs", () => {
  const header = (body: string, id = "F1") =>
    `<?xml version="1.0" encoding="UTF-8"?><Publication ID="${id}" spUrl="https://example.test/${id}">${body}</Publication>`;

  it("rejects a string with no XML element", () => {
    expect(() => fromXmlString("this is not xml")).toThrow(/^invalid XML: char .t. is not expected/);
    expect(() => fromXmlString("")).toThrow(/invalid XML/);
  });

  it("rejects an unterminated tag", () => {
    expect(() => fromXmlString("<Publication")).toThrow(/^invalid XML: /);
  });

  it("rejects a truncated file (bug: unclosed elements are accepted and half a fiche is indexed)", () => {
    const full = readFileSync(join(FIXTURES_35, "F2626.xml"), "utf8");
    expect(() => fromXmlString(full.slice(0, Math.floor(full.length / 2)))).toThrow(/invalid XML/);
  });

  it("rejects a Publication without a title", () => {
    const root = fromXmlString(header("<dc:title>  </dc:title><Texte><Paragraphe>Du texte.</Paragraphe></Texte>"));
    expect(() => parseFiche(root)).toThrow(FicheParseError);
    expect(() => parseFiche(root)).toThrow("F1: missing title");
  });

  it("rejects a Publication with an empty body", () => {
    const root = fromXmlString(header("<dc:title>Titre</dc:title><Texte><Paragraphe> </Paragraphe></Texte>", "F2"));
    let error: unknown;
    try {
      parseFiche(root);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FicheParseError);
    expect((error as FicheParseError).ficheId).toBe("F2");
    expect((error as FicheParseError).message).toBe("F2: empty body");
    expect((error as FicheParseError).name).toBe("FicheParseError");
  });

  it("rejects a root that is not a Publication, and a Publication without any id", () => {
    expect(() => parseFiche(fromXmlString('<Fiche ID="F9"><dc:title>T</dc:title></Fiche>'))).toThrow(
      "F9: root is not Publication",
    );
    expect(() => parseFiche(fromXmlString("<Publication><dc:title>T</dc:title></Publication>"))).toThrow("?: missing ID");
  });
});

describe("parseFiche on small hand-written publications", () => {
  const parse = (body: string) =>
    parseFiche(fromXmlString(`<Publication><dc:identifier>F7</dc:identifier><dc:title>Titre</dc:title>${body}</Publication>`));

  it("falls back to dc:identifier, the default url and the Particuliers audience", () => {
    const f = parse('<dc:date>created 2001-02-03</dc:date><Texte><Paragraphe>Texte.</Paragraphe></Texte>');
    expect(f.id).toBe("F7");
    expect(f.url).toBe("https://www.service-public.fr/particuliers/vosdroits/F7");
    expect(f.audience).toBe("Particuliers");
    expect(f.date).toBe("2001-02-03");
    expect(f.theme).toBe("");
    expect(f.sections).toEqual([{ path: [], text: "Texte." }]);
  });

  it("indents nested lists and numbers 'numero' lists", () => {
    const f = parse(
      '<Texte><Liste type="numero"><Item><Paragraphe>Un</Paragraphe></Item>' +
        '<Item><Paragraphe>Deux :</Paragraphe><Liste type="puce"><Item><Paragraphe>a</Paragraphe></Item>' +
        "<Item><Paragraphe>b</Paragraphe></Item></Liste></Item></Liste></Texte>",
    );
    expect(f.sections[0]?.text).toBe("1. Un\n2. Deux :\n  - a\n  - b");
  });

  it("renders a table without header row as cells joined by ' | '", () => {
    const f = parse(
      "<Texte><Tableau><Titre>Tarifs</Titre><Rangée><Cellule><Paragraphe>A</Paragraphe></Cellule>" +
        "<Cellule><Paragraphe>10 €</Paragraphe></Cellule></Rangée></Tableau></Texte>",
    );
    expect(f.sections[0]?.text).toBe("Tarifs\nA | 10 €");
  });

  it("uses the note's own title as its label when it has one", () => {
    const f = parse("<Texte><Rappel><Paragraphe>r</Paragraphe></Rappel><ANoter><Titre>Important</Titre><Paragraphe>n</Paragraphe></ANoter></Texte>");
    expect(f.sections[0]?.text).toBe("Rappel : r\nImportant : n");
  });

  it("keeps one copy of an intro line repeated by conditional fragments", () => {
    const f = parse(
      "<Introduction><Texte><Paragraphe>Même phrase.</Paragraphe><Paragraphe>Même phrase.</Paragraphe></Texte></Introduction>" +
        "<Texte><Chapitre><Titre>Chap</Titre><Paragraphe>Corps.</Paragraphe></Chapitre></Texte>",
    );
    expect(f.sections).toEqual([
      { path: [], text: "Même phrase." },
      { path: ["Chap"], text: "Corps." },
    ]);
  });
});
