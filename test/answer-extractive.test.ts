import type { Chunk } from "../corpus/chunk.js";
import { buildIndex } from "../corpus/build-index.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { buildCapabilities } from "../graphs/capabilities.js";
import type { Capabilities } from "../graphs/capabilities.js";
import {
  DEFAULT_EXTRACTIVE_OPTIONS,
  ExtractiveAnswerer,
  NOT_FOUND_ANSWER,
  splitUnits,
  toCitation,
} from "../tools/answer/extractive.js";
import type { Passage, Reply } from "../tools/answer/types.js";
import { HAND_UNIT_WEIGHTS } from "../tools/answer/unit-features.js";
import { FIXTURES_35, subsetCapabilities } from "./helpers/fixtures.js";

const SP_URL = /^https:\/\/www\.service-public\.fr\/particuliers\/vosdroits\/F\d+$/;

let caps: Capabilities;
beforeAll(() => {
  caps = subsetCapabilities();
});

/** The graph's retrieve + answer steps, with the default run configuration (top 10, 2 per fiche). */
function passagesFor(question: string): Passage[] {
  return caps.search.search(question, { k: 10, maxPerFiche: 2 }).map((h) => ({ chunk: h.chunk, score: h.score, rank: h.rank }));
}
async function ask(question: string): Promise<Reply> {
  return caps.answerer.answer(question, passagesFor(question));
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const markers = (text: string) => [...text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));

/** Every [n] of the text has a citation and every citation is used; numbers are 1..k, one per fiche. */
function expectConsistentCitations(reply: Reply): void {
  const used = [...new Set(markers(reply.answer))].sort((a, b) => a - b);
  expect(used).toEqual(reply.citations.map((c) => c.n));
  expect(reply.citations.map((c) => c.n)).toEqual(reply.citations.map((_, i) => i + 1));
  expect(new Set(reply.citations.map((c) => c.id)).size).toBe(reply.citations.length);
}

let chunkSeq = 0;
function chunk(ficheId: string, text: string, extra: Partial<Chunk> = {}): Chunk {
  const index = chunkSeq++;
  return {
    id: `${ficheId}#${index}`,
    ficheId,
    title: `Fiche ${ficheId}`,
    path: [],
    breadcrumb: `Fiche ${ficheId}`,
    text,
    url: `https://www.service-public.fr/particuliers/vosdroits/${ficheId}`,
    audience: "Particuliers",
    theme: "Test",
    date: "2024-01-02",
    source: "test",
    ...extra,
  };
}
const passage = (c: Chunk, rank = 1): Passage => ({ chunk: c, score: 10 / rank, rank });

describe("ExtractiveAnswerer on real fiches (subset index)", () => {
  it("answers the passport price with 86 €, citing F34752 as [1]", async () => {
    const reply = await ask("Quel est le prix d'un passeport ?");
    expect(reply.found).toBe(true);
    expect(reply.answer).toContain("86 €");
    expect(reply.answer).toMatch(/86 € pour un majeur[^\n]*\[1\]/);
    const first = reply.citations[0]!;
    expect(first).toMatchObject({ n: 1, id: "F34752", title: "Combien coûte un passeport ?" });
    expect(first.url).toBe("https://www.service-public.fr/particuliers/vosdroits/F34752");
    expect(first.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(first.snippet).toContain("86 €");
    expect(words(reply.answer)).toBeLessThanOrEqual(150);
    expectConsistentCitations(reply);
  });

  it("answers the canonical 'Combien coûte un passeport ?' with 86 €, citing F34752 as [1]", async () => {
    const reply = await ask("Combien coûte un passeport ?");
    expect(reply.answer).toContain("86 €");
    expect(reply.citations[0]).toMatchObject({ n: 1, id: "F34752" });
    expect(reply.citations[0]!.url).toMatch(SP_URL);
    expect(words(reply.answer)).toBeLessThanOrEqual(150);
    expectConsistentCitations(reply);
  });

  it.each([
    "Combien coûte un passeport ?",
    "Quel est le prix d'un passeport ?",
    "Comment obtenir une carte Vitale ?",
    "Quels sont les délais pour payer une amende ?",
    "Comment contester une amende ?",
    "Quelles pièces fournir pour un passeport en urgence ?",
    "Quels documents faut-il pour renouveler une carte d'identité ?",
  ])("keeps %j short, with [n] markers and citations that match one to one", async (question) => {
    const reply = await ask(question);
    expect(reply.found).toBe(true);
    expect(reply.citations.length).toBeGreaterThan(0);
    expect(words(reply.answer)).toBeLessThanOrEqual(150);
    expectConsistentCitations(reply);
    for (const citation of reply.citations) {
      expect(citation.url).toMatch(SP_URL);
      expect(citation.url.endsWith(citation.id)).toBe(true);
      expect(citation.snippet.length).toBeLessThanOrEqual(201);
    }
    // Every paragraph ends with its citation marker, but the closing lines that name the actions.
    const paragraphs = reply.answer.split("\n\n").filter((p) => !/^(?:Démarches en ligne|Où s'adresser) : /.test(p));
    for (const paragraph of paragraphs) expect(paragraph).toMatch(/ \[\d+\]$/);
  });

  it("cites the Vitale card fiche F265 for a Vitale question", async () => {
    const reply = await ask("Comment obtenir une carte Vitale ?");
    expect(reply.citations[0]?.id).toBe("F265");
    expect(reply.answer).toMatch(/carte Vitale/);
  });

  it("keeps a list whole: the lead line ending with ':' and all its items", () => {
    const list = "Pour contester, vous devez agir dans les délais suivants :\n- Amende forfaitaire : 45 jours\n- Amende majorée : 30 jours";
    const text = `La contestation se fait en ligne ou par courrier.\n${list}\nLe paiement vaut reconnaissance de l'infraction.`;
    const reply = new ExtractiveAnswerer().answerSync("Dans quels délais contester une amende ?", [passage(chunk("F32803", text))]);
    expect(reply.answer).toContain(list);
    expect(reply.citations.map((c) => c.id)).toEqual(["F32803"]);
  });

  it("the not-found answer points to service-public.fr and France Services", () => {
    expect(NOT_FOUND_ANSWER).toContain("https://www.service-public.fr");
    expect(NOT_FOUND_ANSWER).toContain("France Services");
    expect(markers(NOT_FOUND_ANSWER)).toEqual([]);
  });
});

describe("ExtractiveAnswerer on the schema 3.5 fixtures (car insurance)", () => {
  let insurance: Capabilities;
  beforeAll(() => {
    insurance = buildCapabilities(buildIndex(xmlFolderSource(FIXTURES_35)));
  });
  const askInsurance = (question: string) =>
    insurance.answerer.answer(question, insurance.search.search(question, { k: 10, maxPerFiche: 2 }));

  // BUG, the first two cases fail until fixed (tools/answer/extractive.ts:20 and :87): search ranks
  // F2706 first, but the answerer now reads 8 passages and keeps only those within 75 % of the best
  // *term coverage*; a 6th-ranked passage of F2632/F31258 that contains the rare word "auto" (F2706
  // says "automobile") wins and every higher-ranked passage is dropped.
  it.each([
    ["Quel est le montant de la franchise d'assurance auto ?", "F2706"],
    ["franchise assurance auto", "F2706"],
    ["Quel est le montant de la franchise ?", "F2706"],
    ["Comment fonctionne le bonus-malus ?", "F2655"],
    ["Une caravane doit-elle avoir une assurance auto ?", "F21619"],
    ["Un accident avec un sanglier est-il indemnisé ?", "F21616"],
    ["Comment assurer un tracteur ?", "F2626"],
  ])("answers %j from the fiche that covers it (%s as [1])", async (question, fiche) => {
    const reply = await askInsurance(question);
    expect(reply.found).toBe(true);
    expect(reply.citations[0]).toMatchObject({ n: 1, id: fiche });
    expect(reply.citations[0]!.url).toBe(`https://www.service-public.gouv.fr/particuliers/vosdroits/${fiche}`);
    expect(words(reply.answer)).toBeLessThanOrEqual(150);
    expectConsistentCitations(reply);
  });

  it("keeps the franchise list whole", async () => {
    const reply = await askInsurance("De quelles manières le montant de la franchise peut-il être déterminé ?");
    expect(reply.answer).toContain(
      "Le montant de la franchise peut être déterminé de plusieurs manières :\n- Montant fixe : par exemple 150 €",
    );
    const lines = reply.answer.split("\n");
    const lead = lines.findIndex((l) => l.endsWith("plusieurs manières :"));
    expect(lines.slice(lead + 1, lead + 4).every((l) => l.startsWith("- "))).toBe(true);
  });

  it("declines a question outside car insurance", async () => {
    expect((await askInsurance("recette de la tarte aux pommes")).found).toBe(false);
  });
});

/** The mechanics with the hand-set unit weights and no scope model: what these cases were written for. */
const handMade = (options: ConstructorParameters<typeof ExtractiveAnswerer>[0]) =>
  new ExtractiveAnswerer({ unitWeights: HAND_UNIT_WEIGHTS, scopeModel: null, ...options });

describe("ExtractiveAnswerer on hand-made passages", () => {
  const answerer = handMade({});

  it("is named extractive, with a 90-word budget and flat term weights by default", () => {
    expect(answerer.name).toBe("extractive");
    expect(DEFAULT_EXTRACTIVE_OPTIONS.maxWords).toBe(90);
    expect(DEFAULT_EXTRACTIVE_OPTIONS.termWeight("x")).toBe(1);
  });

  it("declines without passages, or when the question has no content word", async () => {
    const p = passage(chunk("F1", "Le passeport coûte 86 €."));
    expect(await answerer.answer("passeport prix", [])).toEqual({ answer: NOT_FOUND_ANSWER, citations: [], found: false, actions: [] });
    expect(answerer.answerSync("comment faire ?", [p])).toEqual({ answer: NOT_FOUND_ANSWER, citations: [], found: false, actions: [] });
  });

  it("declines when the best passage covers less than minCoverage of the question", () => {
    const p = passage(chunk("F1", "Le passeport est délivré par la mairie."));
    // Two of the six content words: a third of the question.
    const question = "passeport mairie vélo tondeuse girafe zèbre";
    expect(handMade({ minCoverage: 0.5 }).answerSync(question, [p]).found).toBe(false);
    expect(handMade({ minCoverage: 0.2 }).answerSync(question, [p]).found).toBe(true);
  });

  it("quotes the matching sentence and cites it", () => {
    const c = chunk("F10", "Le passeport est délivré par la mairie. La mairie ferme le dimanche.");
    const reply = answerer.answerSync("Qui délivre le passeport ?", [passage(c)]);
    expect(reply.found).toBe(true);
    expect(reply.answer.startsWith("Le passeport est délivré par la mairie.")).toBe(true);
    expect(reply.answer.endsWith(" [1]")).toBe(true);
    expect(reply.citations).toEqual([
      {
        n: 1,
        id: "F10",
        title: "Fiche F10",
        url: "https://www.service-public.fr/particuliers/vosdroits/F10",
        date: "2024-01-02",
        snippet: "Le passeport est délivré par la mairie. La mairie ferme le dimanche.",
      },
    ]);
  });

  it("gives passages of one fiche a single citation number", () => {
    const a = chunk("F20", "Le passeport biométrique est valable dix ans.");
    const b = chunk("F20", "Le passeport biométrique se demande en mairie.");
    const reply = answerer.answerSync("passeport biométrique", [passage(a, 1), passage(b, 2)]);
    expect(reply.citations).toHaveLength(1);
    // Units of one fiche form one paragraph with one marker.
    expect(markers(reply.answer)).toEqual([1]);
    expect(reply.answer.split("\n\n")).toHaveLength(1);
  });

  it("numbers distinct fiches [1], [2] in the order of their best sentence", () => {
    const a = chunk("F31", "Le passeport biométrique est valable dix ans.");
    const b = chunk("F32", "La carte biométrique remplace le passeport biométrique à l'intérieur de l'Union.");
    const reply = answerer.answerSync("passeport biométrique", [passage(a, 1), passage(b, 2)]);
    expect(reply.citations.map((c) => [c.n, c.id])).toEqual([
      [1, "F31"],
      [2, "F32"],
    ]);
    expect(reply.answer).toBe(
      "Le passeport biométrique est valable dix ans. [1]\n\n" +
        "La carte biométrique remplace le passeport biométrique à l'intérieur de l'Union. [2]",
    );
  });

  it("drops a duplicate sentence (same words, other case and punctuation)", () => {
    const a = chunk("F41", "Le passeport biométrique est valable dix ans.");
    const b = chunk("F42", "le passeport biométrique est valable dix ans !");
    const reply = answerer.answerSync("passeport biométrique valable", [passage(a, 1), passage(b, 2)]);
    expect(reply.citations.map((c) => c.id)).toEqual(["F41"]);
    expect(reply.answer).toBe("Le passeport biométrique est valable dix ans. [1]");
  });

  it("drops a sentence another fiche says again in other words", () => {
    // The two share about half their terms (Jaccard 0.55): a repeat for the reader, not a new fact.
    const a = chunk("F61", "Le passeport d'un majeur coûte 86 euros en timbre fiscal.");
    const b = chunk("F62", "Pour un adulte, le passeport coûte 86 euros ; le timbre fiscal se vend chez un buraliste.");
    const reply = answerer.answerSync("prix passeport majeur timbre fiscal", [passage(a, 1), passage(b, 2)]);
    expect(reply.citations.map((c) => c.id)).toEqual(["F61"]);
  });

  it("keeps at most three units: the point and two supporting ones", () => {
    const towns = ["Lyon", "Brest", "Nancy", "Dijon", "Tours", "Nîmes", "Arras", "Vichy"];
    const days = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "janvier", "février"];
    const text = towns.map((town, i) => `Le passeport ${i + 1} est prêt à ${town} depuis ${days[i]}.`).join(" ");
    const reply = answerer.answerSync("passeport prêt", [passage(chunk("F50", text))]);
    const body = reply.answer.replace(/ \[1\]$/, "");
    expect(body.split("\n")).toHaveLength(3);
  });

  it("respects the word budget, but always keeps the best unit even when it alone is longer", () => {
    const long = `Le passeport ${"très ".repeat(30)}long est délivré en mairie.`;
    const short = "Le passeport est gratuit en cas de vol.";
    const tight = handMade({ maxWords: 10 });
    const reply = tight.answerSync("passeport délivré mairie", [passage(chunk("F60", `${long} ${short}`))]);
    expect(reply.found).toBe(true);
    expect(reply.answer).toBe(`${long} [1]`);
  });

  it("prefers a sentence with an amount for a price question, and one with a delay for a delay question", () => {
    const c = chunk(
      "F70",
      "Le passeport majeur se demande en mairie. Le passeport majeur vaut 86 €. Le passeport majeur arrive en 3 semaines.",
    );
    // Each sentence covers the question equally; a 7-word budget keeps only the best one.
    const tight = handMade({ maxWords: 7 });
    expect(tight.answerSync("Le passeport majeur ?", [passage(c)]).answer).toBe("Le passeport majeur se demande en mairie. [1]");
    expect(tight.answerSync("Combien pour le passeport majeur ?", [passage(c)]).answer).toBe("Le passeport majeur vaut 86 €. [1]");
    expect(tight.answerSync("Quel délai pour le passeport majeur ?", [passage(c)]).answer).toBe(
      "Le passeport majeur arrive en 3 semaines. [1]",
    );
  });

  it("ignores passages much weaker than the best one", () => {
    const strong = chunk("F80", "Le passeport biométrique se demande en mairie.");
    const weak = chunk("F81", "Le passeport se perd facilement.");
    const reply = answerer.answerSync("passeport biométrique mairie", [passage(strong, 1), passage(weak, 2)]);
    expect(reply.citations.map((c) => c.id)).toEqual(["F80"]);
  });

  it("reads only the first maxPassages passages", () => {
    const filler = Array.from({ length: 5 }, (_, i) => passage(chunk(`F9${i}`, "Rien à voir ici."), i + 1));
    const late = passage(chunk("F99", "Le passeport biométrique se demande en mairie."), 6);
    expect(handMade({ maxPassages: 5 }).answerSync("passeport biométrique", [...filler, late]).found).toBe(false);
    expect(handMade({ maxPassages: 6 }).answerSync("passeport biométrique", [...filler, late]).found).toBe(true);
  });

  it("weighs rare terms more through termWeight", () => {
    // With "passeport" and "mairie" nearly weightless, the passage no longer covers the question.
    const p = passage(chunk("F100", "Le passeport se demande en mairie."));
    const flat = handMade({});
    const weighted = handMade({ termWeight: (t) => (t === "girafe" || t === "giraf" ? 5 : 0) });
    expect(flat.answerSync("passeport mairie girafe", [p]).found).toBe(true);
    expect(weighted.answerSync("passeport mairie girafe", [p]).found).toBe(false);
  });
});

describe("toCitation", () => {
  it("builds the citation from the chunk, with a flat snippet of at most 200 characters cut at a word", () => {
    const text = `Premier paragraphe\n\n${"mot ".repeat(80)}fin.`;
    const citation = toCitation(3, passage(chunk("F7", text)));
    expect(citation).toMatchObject({ n: 3, id: "F7", title: "Fiche F7", date: "2024-01-02" });
    expect(citation.snippet.startsWith("Premier paragraphe mot mot")).toBe(true);
    expect(citation.snippet.endsWith("mot…")).toBe(true);
    expect(citation.snippet.length).toBeLessThanOrEqual(201);
    expect(citation.snippet).not.toMatch(/\n/);
  });

  it("keeps a short text whole", () => {
    expect(toCitation(1, passage(chunk("F8", "  Court   texte. "))).snippet).toBe("Court texte.");
  });
});

describe("splitUnits", () => {
  it("splits sentences on . ! ? followed by a capital, a quote or «", () => {
    expect(splitUnits("Il coûte 86 €. Le délai est de 2 mois! Est-ce payant? « Non » dit-il. \"Oui\" aussi.")).toEqual([
      "Il coûte 86 €.",
      "Le délai est de 2 mois!",
      "Est-ce payant?",
      "« Non » dit-il.",
      '"Oui" aussi.',
    ]);
  });

  it("does not split before a lower-case word or a number, and splits before accented capitals", () => {
    expect(splitUnits("Voir l'art. 5 du code. et ensuite. 3 cas. À noter : rien.")).toEqual([
      "Voir l'art. 5 du code. et ensuite. 3 cas.",
      "À noter : rien.",
    ]);
  });

  it("keeps a lead line ending with ':' together with its items", () => {
    const text = "Pièces à fournir :\n- Photo d'identité\n- Justificatif de domicile\nLa demande est gratuite.";
    expect(splitUnits(text)).toEqual([
      "Pièces à fournir :\n- Photo d'identité\n- Justificatif de domicile",
      "La demande est gratuite.",
    ]);
  });

  it("keeps numbered items together, and items without a lead line together", () => {
    expect(splitUnits("Étapes :\n1. Remplir le formulaire\n2. Payer")).toEqual(["Étapes :\n1. Remplir le formulaire\n2. Payer"]);
    expect(splitUnits("- un\n- deux. Trois.\nFin.")).toEqual(["- un\n- deux. Trois.", "Fin."]);
  });

  it("treats a ':' line that no list follows as a sentence, and skips blank lines", () => {
    expect(splitUnits("À noter :\n\n   \nRien de plus.")).toEqual(["À noter :", "Rien de plus."]);
    expect(splitUnits("Liste vide :")).toEqual(["Liste vide :"]);
    expect(splitUnits("")).toEqual([]);
  });

  it("does not take a hyphenated word or '-' without space for a list item", () => {
    expect(splitUnits("Lead :\n-pas un item\nBonus-malus.")).toEqual(["Lead :", "-pas un item", "Bonus-malus."]);
  });
});
