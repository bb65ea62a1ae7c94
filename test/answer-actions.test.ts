import type { Chunk } from "../corpus/chunk.js";
import { chunkActions } from "../corpus/chunk-actions.js";
import type { Fiche } from "../corpus/fiche.js";
import { ExtractiveAnswerer } from "../tools/answer/extractive.js";
import { answerFrom } from "../tools/answer/merge-parts.js";
import type { Passage } from "../tools/answer/types.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const fiche = {
  services: [
    { id: "R1", title: "Pré-demande de passeport", url: "https://passeport.ants.gouv.fr/", type: "Téléservice" },
    { id: "R2", title: "Demande de passeport", url: "https://www.service-public.fr/cerfa", type: "Formulaire", cerfa: "12100" },
  ],
  offices: [
    { title: "Mairie", url: "https://lannuaire.service-public.fr/" },
    { title: "Préfecture", url: "" },
  ],
} as unknown as Fiche;

describe("chunkActions: the links a passage points to", () => {
  it("resolves inline 'Service en ligne' and 'Où s'adresser' lines to the fiche's services and offices", () => {
    const text = "Vous faites une pré-demande.\nService en ligne : Pré-demande de passeport\nOù s'adresser : Mairie";
    expect(chunkActions(fiche, ["En France"], text)).toEqual([
      { title: "Pré-demande de passeport", url: "https://passeport.ants.gouv.fr/", kind: "online_service" },
      { title: "Mairie", url: "https://lannuaire.service-public.fr/", kind: "office" },
    ]);
  });

  it("reads the 'Services en ligne' and 'Où s'adresser ?' sections line by line; an office without a page is left out", () => {
    expect(chunkActions(fiche, ["Services en ligne"], "- Demande de passeport (cerfa n°12100)")).toEqual([
      { title: "Demande de passeport", url: "https://www.service-public.fr/cerfa", kind: "form" },
    ]);
    expect(chunkActions(fiche, ["Où s'adresser ?"], "- Préfecture\n- Mairie").map((a) => a.title)).toEqual(["Mairie"]);
    expect(chunkActions(fiche, [], "- Mairie")).toEqual([]);
  });
});

const chunk = (id: string, text: string, path: string[], extra: Partial<Chunk> = {}): Chunk => ({
  id,
  ficheId: id.split("#")[0]!,
  title: "Revenu de solidarité active (RSA)",
  path,
  breadcrumb: "RSA",
  text,
  url: `https://www.service-public.fr/particuliers/vosdroits/${id.split("#")[0]}`,
  audience: "Particuliers",
  theme: "Social",
  date: "2024-01-01",
  source: "test",
  ...extra,
});
const passage = (c: Chunk, rank = 1): Passage => ({ chunk: c, score: 1, rank });

describe("the answer's prose holds neither definitions nor action lines", () => {
  const rsa = [
    passage(
      chunk("F19778#1", "La demande de RSA se fait en ligne sur le site de la Caf.\nService en ligne : Demande de RSA", ["Demande"], {
        actions: [{ title: "Demande de RSA", url: "https://wwwd.caf.fr/rsa", kind: "online_service" }],
      }),
    ),
    passage(chunk("F19778#2", "RSA : Revenu de solidarité active, une aide pour les personnes sans ressources", ["Définitions"]), 2),
  ];

  it("keeps the glossary line out of a procedure answer and names the online service on a closing line", () => {
    const reply = new ExtractiveAnswerer().answerSync("Comment faire la demande de RSA ?", rsa);
    expect(reply.answer).not.toContain("Revenu de solidarité active, une aide");
    expect(reply.answer).not.toMatch(/Service en ligne :/);
    expect(reply.answer.endsWith("Démarches en ligne : Demande de RSA.")).toBe(true);
    expect(reply.actions).toEqual([{ title: "Demande de RSA", url: "https://wwwd.caf.fr/rsa", kind: "online_service" }]);
  });

  it("quotes the definition when the question asks what the word means", () => {
    const reply = new ExtractiveAnswerer().answerSync("C'est quoi le RSA, revenu de solidarité active ?", rsa);
    expect(reply.answer).toContain("RSA : Revenu de solidarité active");
  });
});

describe("answers by situation on a real fiche (subset index)", () => {
  const caps = subsetCapabilities();
  const ask = async (question: string) => {
    const hits = caps.search.search(question, { k: 10, maxPerFiche: 2 });
    return (await answerFrom(caps.answerer, question, hits.map((h) => ({ chunk: h.chunk, score: h.score, rank: h.rank })))).reply;
  };

  it("gives each age group's price, labelled, when the question does not say the age", async () => {
    const reply = await ask("Quel est le prix d'un passeport ?");
    expect(reply.citations[0]?.id).toBe("F34752");
    expect(reply.answer).toContain("À partir de 18 ans : Le passeport coûte 86 €.");
    expect(reply.answer).toContain("Entre 15 et 17 ans : Le passeport d'un mineur coûte 42 €.");
    expect(reply.actions?.some((a) => a.kind === "online_service" && a.url.startsWith("https://"))).toBe(true);
  });

  it("answers a delay question with a delay, not a price", async () => {
    const reply = await ask("Combien de temps faut-il pour obtenir un passeport ?");
    const firstLine = reply.answer.split("\n")[0]!;
    expect(firstLine).not.toMatch(/€/);
    expect(firstLine).toMatch(/délai|délivré|immédiatement|semaines|jours/);
  });
});
