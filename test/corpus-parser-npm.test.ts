import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Fiche, Section } from "../corpus/fiche.js";
import { parseFiche } from "../corpus/fiche-parser.js";
import { vddPackageDir } from "../corpus/sources/npm-vdd.js";
import { fromXmlJs } from "../corpus/xml-tree.js";

/** Parses one fiche of the installed npm snapshot (xml-js JSON), as the npm source does. */
function npmFiche(id: string, audience = "particuliers"): Fiche {
  const file = join(vddPackageDir(), "data", audience, `${id}.json`);
  return parseFiche(fromXmlJs(JSON.parse(readFileSync(file, "utf8"))));
}

function section(fiche: Fiche, ...path: string[]): Section {
  const found = fiche.sections.find((s) => JSON.stringify(s.path) === JSON.stringify(path));
  if (!found) throw new Error(`${fiche.id}: no section ${JSON.stringify(path)}`);
  return found;
}

function pathIndex(fiche: Fiche, ...path: string[]): number {
  return fiche.sections.findIndex((s) => JSON.stringify(s.path) === JSON.stringify(path));
}

function lines(s: Section): string[] {
  return s.text.split("\n");
}

describe("parseFiche on the npm snapshot: F34752 (passport price)", () => {
  const fiche = npmFiche("F34752");

  it("reads the header metadata", () => {
    expect(fiche.id).toBe("F34752");
    expect(fiche.title).toBe("Combien coûte un passeport ?");
    expect(fiche.type).toBe("Question-réponse");
    expect(fiche.audience).toBe("Particuliers");
    expect(fiche.subject).toBe("Papiers - Citoyenneté");
    expect(fiche.date).toBe("2020-05-12");
    expect(fiche.url).toBe("https://www.service-public.fr/particuliers/vosdroits/F34752");
    // FilDAriane without the home level and without the fiche itself.
    expect(fiche.theme).toBe("Papiers - Citoyenneté > Passeport");
    expect(fiche.description).toMatch(/^Le prix du passeport dépend de l'âge du demandeur/);
  });

  it("opens with the intro paragraph, inline values in reading order", () => {
    expect(fiche.sections[0]).toEqual({
      path: [],
      text:
        "Le prix du passeport dépend de l'âge du demandeur et du lieu de la demande. Par exemple, en métropole, " +
        "il coûte 86 € pour un majeur, 42 € pour un mineur entre 15 et 17 ans et 17 € avant 15 ans.",
    });
  });

  it("nests situations and cases (Situation > Cas > Cas) in document order", () => {
    const paths = fiche.sections.map((s) => s.path.join(" > "));
    expect(paths.slice(0, 4)).toEqual([
      "",
      "À partir de 18 ans",
      "À partir de 18 ans > En Métropole",
      "À partir de 18 ans > Dans un département d'outre-mer (Dom) > En Guadeloupe",
    ]);
    const adult = pathIndex(fiche, "À partir de 18 ans");
    const teen = pathIndex(fiche, "Entre 15 et 17 ans");
    const child = pathIndex(fiche, "Avant 15 ans");
    expect(adult).toBeGreaterThan(0);
    expect(teen).toBeGreaterThan(adult);
    expect(child).toBeGreaterThan(teen);
    // The case heading of a BlocCas with no text of its own yields no empty section.
    expect(pathIndex(fiche, "À partir de 18 ans", "Dans un département d'outre-mer (Dom)")).toBe(-1);
    expect(fiche.sections.every((s) => s.text.trim() !== "")).toBe(true);
    // Generated sections come last.
    expect(fiche.sections.at(-2)?.path).toEqual(["Services en ligne"]);
    expect(fiche.sections.at(-1)?.path).toEqual(["Définitions"]);
  });

  it("keeps mixed content (text, Valeur, punctuation) in reading order", () => {
    expect(lines(section(fiche, "À partir de 18 ans", "En Métropole"))).toEqual([
      "Le passeport coûte 86 €.",
      "Service en ligne : Achat en ligne du timbre fiscal - Passeport",
      "Comment acheter un timbre fiscal ?",
    ]);
    expect(section(fiche, "Entre 15 et 17 ans", "En Métropole").text).toMatch(/^Le passeport d'un mineur coûte 42 €\./);
    expect(section(fiche, "Avant 15 ans", "Dans un département d'outre-mer (Dom)", "En Guyane").text).toMatch(
      /^Le passeport d'un enfant mineur coûte 8,5 €\./,
    );
  });

  it("renders a situation's own text and its À savoir note", () => {
    expect(lines(section(fiche, "À partir de 18 ans"))).toEqual([
      "Le montant du passeport d'une personne majeure dépend du lieu de la demande.",
      "À savoir : dans certains cas, il est possible d'obtenir ou de renouveler son passeport gratuitement.",
    ]);
  });

  it("renders list items whole, with inline links and values inside", () => {
    const abroad = lines(section(fiche, "À partir de 18 ans", "À l'étranger"));
    expect(abroad.slice(0, 2)).toEqual([
      "- Si vous fournissez la photo, le passeport coûte 96 €.",
      "- Si la photo est prise au guichet (seulement dans quelques pays), le passeport coûte 99 €.",
    ]);
    expect(abroad[2]).toMatch(/^Vous pouvez régler en espèces\. Certains consulats/);
    // An item made of two paragraphs stays one line.
    expect(lines(section(fiche, "À partir de 18 ans", "Dans un département d'outre-mer (Dom)", "En Guyane"))).toContain(
      "- Si la photo est prise au guichet : 44,50 € (uniquement en l'absence de photographe professionnel)",
    );
  });

  it("collects the online service once although it appears in many cases", () => {
    expect(fiche.services).toEqual([
      {
        id: "R39812",
        title: "Achat en ligne du timbre fiscal - Passeport",
        url: "https://timbres.impots.gouv.fr/pages/achat/choixTimbres.jsp",
        type: "Téléservice",
      },
    ]);
    expect(section(fiche, "Services en ligne").text).toBe("- Achat en ligne du timbre fiscal - Passeport");
  });

  it("keeps the definition, the related question and deduplicated links", () => {
    expect(fiche.definitions).toEqual([
      {
        id: "R43477",
        term: "Passeport - Consulats proposant de prendre la photo au guichet",
        text: "Burundi, Cuba, Guinée Équatoriale, Kenya, Mali, Mauritanie et Uruguay",
      },
    ]);
    expect(section(fiche, "Définitions").text).toBe(
      "Passeport - Consulats proposant de prendre la photo au guichet : Burundi, Cuba, Guinée Équatoriale, Kenya, Mali, Mauritanie et Uruguay",
    );
    expect(fiche.relatedQuestions).toEqual([{ id: "F1709", question: "Peut-on obtenir un passeport gratuitement ?" }]);
    expect(fiche.references).toEqual([]);
    expect(fiche.links).toEqual([
      { text: "d'obtenir ou de renouveler son passeport gratuitement", kind: "internal", target: "F1709" },
      { text: "Comment acheter un timbre fiscal ?", kind: "internal", target: "F21258" },
      { text: "quelques pays", kind: "intra", target: "R43477" },
    ]);
  });

  it("skips personalisation conditions and the services' own introductions", () => {
    const all = fiche.sections.map((s) => s.text).join("\n");
    expect(all).not.toContain("Se munir d'une carte bancaire");
    expect(all).not.toContain("T10010");
    expect(all).not.toContain("Ministère chargé des finances");
  });
});

describe("parseFiche on the npm snapshot: other block kinds", () => {
  it("renders a Tableau as one readable line per row (F31421)", () => {
    const fiche = npmFiche("F31421");
    expect(fiche.title).toBe("Que faire si j'ai perdu tous mes papiers en même temps ?");
    const adult = lines(section(fiche, "Pour un adulte"));
    const caption = adult.indexOf("Procédure pour demander des nouveaux papiers");
    expect(caption).toBeGreaterThan(0);
    expect(adult.slice(caption + 1, caption + 5)).toEqual([
      "Carte d'identité — Procédure : Renouvellement d'une carte d'identité perdue - Majeur",
      "Passeport — Procédure : Renouvellement d'un passeport perdu - Majeur",
      "Permis de conduire — Procédure : Remplacement d'un permis de conduire perdu",
      "Carte grise — Procédure : Remplacement d'un certificat d'immatriculation perdu",
    ]);
    // The header row only labels the values; it is not a row of its own.
    expect(adult.some((line) => line.startsWith("Document"))).toBe(false);
    expect(adult.at(-1)).toBe(
      "À noter : il faut commencer par remplacer votre carte nationale d'identité ou votre passeport, car il faudra présenter une pièce d'identité valide pour demander les autres documents.",
    );
    // Links inside table cells are recorded too.
    expect(fiche.links).toContainEqual({
      text: "Renouvellement d'un passeport perdu - Majeur",
      kind: "internal",
      target: "F21246",
    });
  });

  it("adds the cerfa number to a form service (F31421)", () => {
    const fiche = npmFiche("F31421");
    expect(fiche.services[0]).toEqual({
      id: "R13630",
      title: "Déclaration de perte de carte d'identité ou de passeport",
      url: "https://www.service-public.fr/simulateur/calcul/14011",
      type: "Formulaire",
      cerfa: "14011*02",
    });
    expect(fiche.services[1]).not.toHaveProperty("cerfa");
    expect(lines(section(fiche, "Services en ligne"))).toEqual([
      "- Déclaration de perte de carte d'identité ou de passeport (cerfa n°14011*02)",
      "- Déclaration de perte, de vol ou de dysfonctionnement de carte vitale (régime général)",
    ]);
  });

  it("nests Chapitre > BlocCas > Cas > BlocCas > Cas (F265)", () => {
    const fiche = npmFiche("F265");
    expect(fiche.title).toBe("Carte Vitale");
    expect(section(fiche, "Que faire en cas de perte ou de vol ?", "Cas général", "En ligne").text).toBe(
      "Service en ligne : Déclaration de perte, de vol ou de dysfonctionnement de carte vitale (régime général)",
    );
    expect(section(fiche, "Quelle est la démarche pour recevoir la carte ?", "Cas général", "Pour un adulte").text).toMatch(
      /^La carte Vitale est attribuée à tous les bénéficiaires/,
    );
    expect(section(fiche, "Combien coûte la carte ?").text).toBe("Elle est gratuite.");
    // An OuSAdresser met inside the text is rendered in place and listed at the end.
    expect(lines(section(fiche, "Que faire en cas de perte ou de vol ?", "Cas général", "Sur place"))).toContain(
      "Où s'adresser : Caisse primaire d'assurance maladie (CPAM)",
    );
    expect(lines(section(fiche, "Où s'adresser ?"))).toContain("- Caisse primaire d'assurance maladie (CPAM)");
  });

  it("keeps LienExterne metadata with its target URL (F265)", () => {
    const fiche = npmFiche("F265");
    expect(fiche.links).toContainEqual({
      text: "à chaque changement de situation personnelle ou professionnelle",
      kind: "external",
      target: "https://www.ameli.fr/assure/adresses-et-contacts/un-changement-de-situation",
    });
    // The link text flows into its list item, which stays whole.
    expect(lines(section(fiche, "Faut-il la mettre à jour ?", "Quand la mettre à jour ?"))).toEqual([
      "Vous devez mettre à jour votre carte Vitale :",
      "- au moins 1 fois par an,",
      "- et à chaque changement de situation personnelle ou professionnelle, après en avoir informé votre organisme d'assurance maladie.",
    ]);
    expect(section(fiche, "De quoi s'agit-il ?").text).toContain(
      "À noter : pour bénéficier de la prise en charge de vos soins médicaux lors d'un voyage ou d'un court séjour en Europe, vous pouvez demander la carte européenne de sécurité sociale (CEAM).",
    );
  });

  it("labels ASavoir, ANoter and Attention notes (F21742, F1709)", () => {
    const vitale = npmFiche("F21742");
    expect(lines(section(vitale, "Carte sans photo"))).toContain("À noter : ce n'est pas une carte de paiement.");
    expect(lines(section(vitale, "Carte avec photo"))).toContain("À savoir : ce n'est pas une carte de paiement.");
    expect(lines(section(vitale, "Carte sans photo")).slice(0, 3)).toEqual([
      "La carte Vitale contient les informations suivantes :",
      "- Votre identité et celle de vos ayants-droit de moins de 16 ans",
      "- Votre numéro de sécurité sociale",
    ]);

    const free = npmFiche("F1709");
    expect(lines(section(free, "Modification du passeport", "Changement de nom ou prénom"))).toContain(
      "Attention : la limite de validité du nouveau passeport sera identique à l'ancien",
    );
    expect(lines(section(free, "Demandeur indigent"))).toEqual([
      "Une personne indigente peut demander gratuitement :",
      "- Un premier passeport",
      "- Le renouvellement d'un ancien passeport",
      "La notion d'indigence se fait au cas par cas par les services préfectoraux. Il peut s'agir par exemple des seuils de pauvreté de l'Insee ou la perception des minimas sociaux.",
    ]);
  });

  it("renders an Avertissement as its own section (F11534)", () => {
    const fiche = npmFiche("F11534");
    const warning = section(fiche, "Avertissement : Covid-19 : restrictions des déplacements internationaux");
    expect(lines(warning)[0]).toBe(
      "De nombreux pays ont mis en place des mesures pour réduire les déplacements internationaux.",
    );
  });

  it("puts abbreviations in the glossary beside definitions (F1727)", () => {
    const fiche = npmFiche("F1727");
    expect(fiche.definitions).toContainEqual({ id: "R24622", term: "EEE", text: "Espace économique européen" });
    expect(fiche.definitions).toContainEqual({ id: "R50821", term: "ANTS", text: "Agence nationale des titres sécurisés" });
    expect(lines(section(fiche, "Définitions"))).toContain("ANTS : Agence nationale des titres sécurisés");
  });

  it("drops the home level of the breadcrumb for every audience (bug: only 'Particuliers' is dropped)", () => {
    // FilDAriane of professionnels/F10003: Accueil professionnels > Vente - Commerce > Autorisations ... > (fiche).
    const fiche = npmFiche("F10003", "professionnels");
    expect(fiche.audience).toBe("Professionnels");
    expect(fiche.theme).toBe("Vente - Commerce > Autorisations pour l'installation d'un commerce");
  });
});
