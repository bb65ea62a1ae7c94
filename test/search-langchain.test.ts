import { buildIndex } from "../corpus/build-index.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { GuichetRetriever, searchFichesTool } from "../tools/search/langchain-retriever.js";
import { Retriever } from "../tools/search/retriever.js";
import { FIXTURES_35 } from "./helpers/fixtures.js";

const retriever = new Retriever(buildIndex(xmlFolderSource(FIXTURES_35)).index);

describe("LangChain retriever", () => {
  it("returns one Document per passage with its source metadata", async () => {
    const docs = await new GuichetRetriever(retriever, { k: 3 }).invoke("bonus malus coefficient");
    expect(docs).toHaveLength(3);
    expect(docs[0]!.metadata).toMatchObject({
      ficheId: "F2655",
      title: "Bonus-malus dans l'assurance automobile",
      url: "https://www.service-public.gouv.fr/particuliers/vosdroits/F2655",
      source: "vdd-xml",
      rank: 1,
    });
    expect(docs[0]!.pageContent.length).toBeGreaterThan(20);
    expect(docs.map((d) => d.metadata.rank)).toEqual([1, 2, 3]);
  });
});

describe("LangChain tool", () => {
  const searchTool = searchFichesTool(retriever);

  it("is described for agents and returns numbered passages with sources", async () => {
    expect(searchTool.name).toBe("search_service_public_fiches");
    const text = (await searchTool.invoke({ query: "caravane assurance", k: 2 })) as string;
    expect(text).toMatch(/^\[1\] Une caravane doit-elle avoir une assurance auto \?/);
    expect(text).toContain("https://www.service-public.gouv.fr/particuliers/vosdroits/F21619");
    expect(text).toContain("[2] ");
    expect(text).not.toContain("[3] ");
  });

  it("says so when nothing matches, and validates its input", async () => {
    expect(await searchTool.invoke({ query: "zzzqqq" })).toBe("Aucune fiche trouvée.");
    await expect(searchTool.invoke({ query: "" })).rejects.toThrow();
  });
});
