import { existsSync } from "node:fs";
import { join } from "node:path";
import { embeddingText, ingest } from "../corpus/ingest.js";
import { loadIndex } from "../corpus/index-store.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { buildCapabilities } from "../graphs/capabilities.js";
import { loadConfig } from "../tools/config.js";
import {
  embedWithCache,
  modelKey,
  remoteEmbeddings,
  remoteQueryEmbedder,
  textHash,
  VectorCache,
  type RemoteEmbeddingsConfig,
} from "../tools/search/embeddings/remote.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { startScriptedOpenAI, type ScriptedServer } from "./helpers/scripted-openai.js";

let server: ScriptedServer;
let config: RemoteEmbeddingsConfig;

beforeAll(async () => {
  server = await startScriptedOpenAI();
  config = { baseURL: server.url, apiKey: "test-key", model: "test-embed", batchSize: 16, maxRetries: 3, timeoutMs: 5_000 };
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.queue.length = 0;
});

const embedCalls = () => server.requests.filter((r) => r.path.endsWith("/embeddings"));

describe("OpenAI-compatible embeddings (scripted server on 127.0.0.1)", () => {
  it("sends the model and batches, with the key as a bearer token", async () => {
    const vectors = await remoteEmbeddings({ ...config, batchSize: 2 }).embedDocuments(["a b", "c", "d"]);
    expect(vectors).toHaveLength(3);
    expect(embedCalls()).toHaveLength(2);
    expect(embedCalls()[0]!.body).toMatchObject({ model: "test-embed", input: ["a b", "c"] });
    expect(embedCalls()[0]!.headers.authorization).toBe("Bearer test-key");
  });

  it("asks for dimensions when configured", async () => {
    await remoteEmbeddings({ ...config, dimensions: 8 }).embedQuery("x");
    expect(embedCalls()[0]!.body).toMatchObject({ dimensions: 8 });
  });

  it("retries after a 429 (honouring Retry-After) and a 500, then succeeds", async () => {
    server.queue.push({ status: 429, headers: { "retry-after": "0" } }, { status: 500 });
    const started = Date.now();
    const [vector] = await remoteEmbeddings(config).embedDocuments(["carte grise"]);
    expect(vector).toHaveLength(32);
    expect(embedCalls()).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it("does not retry a 400", async () => {
    server.queue.push({ status: 400, body: { error: { message: "bad input" } } });
    await expect(remoteEmbeddings(config).embedDocuments(["x"])).rejects.toThrow();
    expect(embedCalls()).toHaveLength(1);
  });
});

describe("embedWithCache", () => {
  it("embeds only texts it has not seen, in batches, and reports progress", async () => {
    const dir = tempDir();
    const cache = VectorCache.load(dir, "m1");
    const client = remoteEmbeddings({ ...config, batchSize: 100 });
    const progress: Array<[number, number]> = [];
    const first = await embedWithCache(["un", "deux", "trois", "un"], client, cache, 2, (d, t) => progress.push([d, t]));
    expect(first).toMatchObject({ embedded: 3, cached: 1 });
    expect(progress).toEqual([
      [2, 3],
      [3, 3],
    ]);
    expect(embedCalls()).toHaveLength(2);
    const norm = Math.hypot(...first.vectors[0]!);
    expect(norm).toBeCloseTo(1, 5);
    // Only the kept keys survive a save; another model does not read them.
    cache.save(dir, new Set([textHash("un")]));
    const again = VectorCache.load(dir, "m1");
    expect(again.size).toBe(1);
    expect(Array.from(again.get(textHash("un"))!)).toEqual(Array.from(first.vectors[0]!));
    expect(VectorCache.load(dir, "another-model").size).toBe(0);
  });

  it("rejects an endpoint that returns the wrong number of vectors", async () => {
    const liar = { embedDocuments: async () => [[1, 0]] };
    await expect(embedWithCache(["a", "b"], liar, VectorCache.load(tempDir(), "m"), 10)).rejects.toThrow(
      "the embeddings endpoint returned 1 vectors for 2 texts",
    );
  });

  it("normalises query vectors", async () => {
    const query = remoteQueryEmbedder(remoteEmbeddings(config), "test-embed");
    const v = await query.embedQuery("passeport passeport prix");
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(query.name).toBe("test-embed");
  });
});

describe("ingestion with remote embeddings", () => {
  it("embeds every passage despite a 429 and a 500, caches the vectors, and serves hybrid search", async () => {
    const dir = tempDir();
    const source = xmlFolderSource(FIXTURES_35);
    server.queue.push({ status: 429, headers: { "retry-after": "0" } }, { status: 500 });
    const messages: string[] = [];
    const first = await ingest(source, { indexDir: dir, remote: config, log: (m) => messages.push(m) });
    const chunks = first.result!.index.chunks.length;
    expect(messages).toContain(`embedded ${chunks} passages with test-embed (0 from the cache)`);
    expect(embedCalls().length).toBe(Math.ceil(chunks / 16) + 2);
    expect(existsSync(join(dir, "vectors.bin"))).toBe(true);

    // Up to date: nothing to do. Forced: every fiche re-read, nothing re-embedded.
    server.requests.length = 0;
    expect(await ingest(source, { indexDir: dir, remote: config })).toEqual({ built: false });
    const forcedMessages: string[] = [];
    await ingest(source, { indexDir: dir, remote: config, force: true, log: (m) => forcedMessages.push(m) });
    expect(forcedMessages).toContain(`embedded 0 passages with test-embed (${chunks} from the cache)`);
    expect(embedCalls()).toHaveLength(0);

    const loaded = loadIndex(dir);
    expect(loaded.remoteDense?.model).toBe(modelKey(config));
    expect(loaded.remoteDense?.index.size).toBe(chunks);
    const caps = buildCapabilities(loaded, { mode: "hybrid" }, remoteQueryEmbedder(remoteEmbeddings(config), "test-embed"));
    const hits = await caps.search.searchAsync("bonus malus coefficient réduction majoration", { k: 3 });
    expect(hits[0]!.chunk.ficheId).toBe("F2655");
    expect(await caps.search.rankFichesAsync(embeddingText(loaded.index.chunks[0]!), 1, "dense")).toEqual([
      loaded.index.chunks[0]!.ficheId,
    ]);
    expect(() => caps.search.search("bonus", { mode: "hybrid" })).toThrow("remote: use searchAsync");

    // Another model is another set of vectors: the index is stale for it.
    const other = { ...config, model: "other-embed" };
    const rebuilt = await ingest(source, { indexDir: dir, remote: other });
    expect(rebuilt.reason).toBe(`no vectors of ${modelKey(other)}`);
  }, 60_000);
});

describe("configuration of the embeddings", () => {
  it("defaults to the offline LSA model", () => {
    expect(loadConfig({}).embeddings).toEqual({ kind: "lsa" });
  });

  it("reads an OpenAI-compatible endpoint, falling back on the OPENAI_* variables", () => {
    expect(
      loadConfig({ GUICHET_EMBEDDINGS: "openai", OPENAI_API_KEY: "k", OPENAI_BASE_URL: "http://127.0.0.1:1/v1" }).embeddings,
    ).toEqual({
      kind: "openai",
      apiKey: "k",
      baseURL: "http://127.0.0.1:1/v1",
      model: "text-embedding-3-small",
      batchSize: 64,
      maxRetries: 6,
      timeoutMs: 30_000,
    });
    expect(
      loadConfig({ GUICHET_EMBEDDINGS: "openai", GUICHET_EMBEDDINGS_API_KEY: "k2", GUICHET_EMBEDDINGS_DIMENSIONS: "256" })
        .embeddings,
    ).toMatchObject({ apiKey: "k2", dimensions: 256 });
  });

  it("needs a key for the remote model", () => {
    expect(() => loadConfig({ GUICHET_EMBEDDINGS: "openai" })).toThrow(/GUICHET_EMBEDDINGS_API_KEY: required/);
  });
});
