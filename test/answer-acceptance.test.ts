import { buildIndex } from "../corpus/build-index.js";
import { npmVddSource } from "../corpus/sources/npm-vdd.js";
import { buildCapabilities, type Capabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";

/** The questions quoted in issue 14, asked of the whole particuliers snapshot as `npm start` would answer them. */
let caps: Capabilities;
beforeAll(() => {
  const { index, manifest } = buildIndex(npmVddSource("particuliers"));
  caps = buildCapabilities({ index, manifest });
}, 120_000);
const ask = (question: string) => runGuichet(buildGraph(), { question }, { capabilities: caps });

describe("answers a citizen can act on (whole particuliers snapshot)", () => {
  it("«Combien de temps faut-il pour obtenir un passeport ?» gets a delay, not a price", async () => {
    const response = await ask("Combien de temps faut-il pour obtenir un passeport ?");
    const [first] = response.answer.split("\n");
    expect(first).not.toMatch(/€/);
    expect(first).toMatch(/délai|délivré|immédiatement|fabriqu/);
    expect(response.citations[0]?.id).toBe("F14929");
  });

  it("«Mon voisin fait du bruit tous les soirs, quels recours ?» cites the neighbourhood-noise fiche and says whom to call", async () => {
    const response = await ask("Mon voisin fait du bruit tous les soirs, quels recours ?");
    expect(response.citations[0]?.id).toBe("F612");
    expect(response.answer).toMatch(/police|gendarmerie|conciliateur/i);
  });

  it("«je me marie et je déménage, quelles démarches ?» answers the move from the moving fiche, and no longer about paternity", async () => {
    const response = await ask("je me marie et je déménage, quelles démarches ?");
    const [, moving] = response.answer.split("\n\n2. ");
    expect(moving).toBeDefined();
    expect(response.citations.map((c) => c.id)).toContain("F14128");
    expect(response.answer).not.toMatch(/présumé être le père/);
  });

  it("«mon propriétaire ne veut pas me rendre ma caution» is about the deposit (F31269) and what to do, not the Visale guarantee", async () => {
    const response = await ask("mon propriétaire ne veut pas me rendre ma caution");
    expect(response.citations[0]?.id).toBe("F31269");
    expect(response.answer).toMatch(/restitu/);
    expect(response.answer).not.toMatch(/Visale/);
  });

  it("«Je suis au chômage, est-ce que je peux partir en vacances à l'étranger ?» cites the monthly update fiche (absences are declared there)", async () => {
    const response = await ask("Je suis au chômage, est-ce que je peux partir en vacances à l'étranger ?");
    expect(response.citations[0]?.id).toBe("F1637");
  });
});
