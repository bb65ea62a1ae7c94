import { buildIndex } from "../corpus/build-index.js";
import { loadIndex, saveIndex } from "../corpus/index-store.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { buildCapabilities } from "../graphs/capabilities.js";
import { loadConfig } from "../tools/config.js";
import { FicheIndex } from "../tools/search/fiche-index.js";
import { expandQuestionText } from "../tools/search/query-expansion.js";
import { applyOrder, FicheBm25Reranker, type Reranker } from "../tools/search/rerank.js";
import { RemoteReranker } from "../tools/search/rerank-remote.js";
import { Retriever } from "../tools/search/retriever.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { startScriptedOpenAI, type ScriptedServer } from "./helpers/scripted-openai.js";

const built = buildIndex(xmlFolderSource(FIXTURES_35));
const ficheIndex = built.index.ficheIndex!;
const allFiches = [...new Set(built.index.chunks.map((c) => c.ficheId))];

describe("FicheIndex (whole-fiche BM25)", () => {
  it("has one document per fiche and ranks the fiche about the question first", () => {
    expect(ficheIndex.ficheIds).toHaveLength(allFiches.length);
    expect(ficheIndex.rank("coefficient bonus malus assurance auto", allFiches)[0]).toBe("F2655");
  });

  it("ranks only the fiches it is given, and nothing for unknown ids", () => {
    const ranked = ficheIndex.rank("assurance", ["F2655", "F21138"]);
    expect(ranked.every((id) => ["F2655", "F21138"].includes(id))).toBe(true);
    expect(ficheIndex.rank("assurance", ["nope"])).toEqual([]);
  });

  it("survives the binary round trip, alone and inside the saved index", () => {
    const { meta, data } = ficheIndex.toBinary();
    const copy = FicheIndex.fromBinary(JSON.parse(JSON.stringify(meta)), data);
    expect(copy.rank("bonus malus", allFiches)).toEqual(ficheIndex.rank("bonus malus", allFiches));
    const dir = tempDir();
    saveIndex(dir, built.index, built.manifest, built.fiches);
    const loaded = loadIndex(dir).index;
    expect(loaded.ficheIndex!.rank("bonus malus", allFiches)).toEqual(ficheIndex.rank("bonus malus", allFiches));
    expect(loaded.candidates("bonus malus", 5)).toEqual(built.index.candidates("bonus malus", 5));
  });
});

describe("re-ranking", () => {
  it("applyOrder puts re-ranked fiches first, then the others in first-stage order, ignoring unknown ids", () => {
    expect(applyOrder(["a", "b", "c", "d"], ["c", "x", "a", "c"])).toEqual(["c", "a", "b", "d"]);
  });

  it("the offline re-ranker keeps the candidates and lifts the fiche whose whole text fits", () => {
    const reranker = new FicheBm25Reranker(ficheIndex);
    const candidates = allFiches.map((ficheId) => ({ ficheId, text: "" }));
    const order = reranker.rerank("bonus malus coefficient de réduction majoration", candidates);
    expect(new Set(order)).toEqual(new Set(allFiches));
    expect(order[0]).toBe("F2655");
  });

  it("the retriever returns the re-ranked fiches first, each with its best chunks", () => {
    const reverse: Reranker = { name: "reverse", local: true, rerank: (_q, c) => c.map((x) => x.ficheId).reverse() };
    const plain = new Retriever(built.index, undefined, { rerankCandidates: 3 });
    const reversed = new Retriever(built.index, undefined, { rerankCandidates: 3 }, reverse);
    const first = plain.rankFiches("assurance véhicule", 3);
    expect(reversed.rankFiches("assurance véhicule", 3)).toEqual([...first].reverse());
    expect(reversed.rankFiches("assurance véhicule", 3, undefined, false)).toEqual(first);
    const hits = reversed.search("assurance véhicule", { k: 4, maxPerFiche: 2 });
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
    expect(hits[0]!.chunk.ficheId).toBe(first[2]);
  });

  it("a remote re-ranker is refused on the synchronous path", () => {
    const remote = new RemoteReranker({ baseUrl: "http://127.0.0.1:9", model: "m", timeoutMs: 100 });
    expect(() => new Retriever(built.index, undefined, {}, remote).search("assurance")).toThrow(/remote: use searchAsync/);
  });
});

describe("RemoteReranker against a scripted /rerank endpoint", () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startScriptedOpenAI();
  });
  afterAll(() => server.close());

  it("sends the query and the candidates' texts and follows the scores", async () => {
    const reranker = new RemoteReranker({ baseUrl: server.url, model: "bge-reranker", apiKey: "secret", timeoutMs: 2000 });
    const retriever = new Retriever(built.index, undefined, { rerankCandidates: 3 }, reranker);
    const first = new Retriever(built.index).rankFiches("assurance véhicule", 3, undefined, false);
    server.queue.push({
      status: 200,
      body: { results: [{ index: 2, relevance_score: 0.9 }, { index: 0, relevance_score: 0.5 }, { index: 1, relevance_score: 0.1 }] },
    });
    const ranked = await retriever.rankFichesAsync("assurance véhicule", 3);
    expect(ranked).toEqual([first[2], first[0], first[1]]);
    const request = server.requests.at(-1)!;
    expect(request.path).toBe("/v1/rerank");
    expect(request.headers.authorization).toBe("Bearer secret");
    expect(request.body).toMatchObject({ model: "bge-reranker", query: "assurance véhicule", top_n: 3 });
    expect((request.body as { documents: string[] }).documents).toHaveLength(3);
  });

  it.each([
    ["a 500", { status: 500 }],
    ["a malformed body", { status: 200, body: { nope: true } }],
  ])("falls back to the first stage and reports rerank_unavailable on %s", async (_name, reply) => {
    const retriever = new Retriever(
      built.index,
      undefined,
      { rerankCandidates: 3 },
      new RemoteReranker({ baseUrl: server.url, model: "m", timeoutMs: 2000 }),
    );
    server.queue.push(reply);
    const degraded: string[] = [];
    const hits = await retriever.searchAsync("assurance véhicule", { k: 3, maxPerFiche: 1, onDegraded: (d) => degraded.push(d) });
    expect(hits.map((h) => h.chunk.ficheId)).toEqual(new Retriever(built.index).rankFiches("assurance véhicule", 3, undefined, false));
    expect(degraded).toEqual(["rerank_unavailable"]);
  });

  it("answers nothing for no candidates without calling the endpoint", async () => {
    const before = server.requests.length;
    expect(await new RemoteReranker({ baseUrl: server.url, model: "m", timeoutMs: 100 }).rerank("q", [])).toEqual([]);
    expect(server.requests.length).toBe(before);
  });
});

describe("re-ranking configuration", () => {
  it("defaults to the offline learned re-ranker; the whole-fiche fusion is still there by name", () => {
    const config = loadConfig({});
    expect(config.rerank).toEqual({ kind: "learned" });
    expect(buildCapabilities(built, config.retrieval, undefined, config.rerank).search.reranker?.name).toBe("learned");
    const fiche = loadConfig({ GUICHET_RERANK: "fiche" }).rerank;
    expect(buildCapabilities(built, config.retrieval, undefined, fiche).search.reranker?.name).toBe("fiche-bm25");
  });

  it("can be turned off, or pointed at an endpoint (whose URL is then required)", () => {
    expect(buildCapabilities(built, {}, undefined, loadConfig({ GUICHET_RERANK: "none" }).rerank).search.reranker).toBeUndefined();
    const remote = loadConfig({ GUICHET_RERANK: "remote", GUICHET_RERANK_BASE_URL: "http://127.0.0.1:8080", GUICHET_RERANK_API_KEY: "k" });
    expect(remote.rerank).toMatchObject({ kind: "remote", baseUrl: "http://127.0.0.1:8080", apiKey: "k", timeoutMs: 2000 });
    expect(buildCapabilities(built, {}, undefined, remote.rerank).search.reranker?.name).toBe("rerank:bge-reranker-v2-m3");
    expect(() => loadConfig({ GUICHET_RERANK: "remote" })).toThrow(/GUICHET_RERANK_BASE_URL: required/);
  });
});

describe("expandQuestionText", () => {
  it("appends the official wording the dense leg embeds, and leaves plain questions alone", () => {
    expect(expandQuestionText("mon proprio ne rend pas ma caution")).toBe("mon proprio ne rend pas ma caution propriétaire bailleur dépôt garantie");
    expect(expandQuestionText("un baby-sitter le soir")).toBe("un baby-sitter le soir garde enfant domicile");
    expect(expandQuestionText("passeport biométrique")).toBe("passeport biométrique");
  });
});
