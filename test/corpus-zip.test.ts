import { jest } from "@jest/globals";
import AdmZip from "adm-zip";
import { readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { join } from "node:path";
import { ingestMain } from "../cli/ingest.js";
import { buildIndex } from "../corpus/build-index.js";
import { readManifest } from "../corpus/index-store.js";
import { parseSourceSpec, sourceFromSpec } from "../corpus/select-source.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { xmlZipSource } from "../corpus/sources/xml-zip.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

const FIXTURE_IDS = readdirSync(FIXTURES_35)
  .filter((name) => /^F\d+\.xml$/.test(name))
  .map((name) => name.replace(".xml", ""))
  .sort();

const dir = tempDir("guichet-zip-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Half of the fixtures at the root, half in a folder, plus entries that are not F fiches. */
function fixtureZip(name: string, extra: Record<string, string> = {}): string {
  const zip = new AdmZip();
  FIXTURE_IDS.forEach((id, i) => {
    const entry = i % 2 === 0 ? `${id}.xml` : `vosdroits-latest/${id}.xml`;
    zip.addFile(entry, readFileSync(join(FIXTURES_35, `${id}.xml`)));
  });
  zip.addFile("vosdroits-latest/N19806.xml", Buffer.from('<?xml version="1.0"?><Publication ID="N19806"/>'));
  zip.addFile("vosdroits-latest/R1234.xml", Buffer.from("<Publication/>"));
  zip.addFile("LISEZMOI.txt", Buffer.from("pas une fiche"));
  zip.addFile("vosdroits-latest/F99.xml.bak", Buffer.from("pas une fiche"));
  for (const [entry, content] of Object.entries(extra)) zip.addFile(entry, Buffer.from(content));
  const file = join(dir, name);
  zip.writeZip(file);
  return file;
}

/** Flips bytes in the middle of one entry's compressed data. */
function damageEntry(file: string, entryName: string): void {
  const buffer = readFileSync(file);
  const entry = new AdmZip(file).getEntry(entryName);
  if (!entry) throw new Error(`no entry ${entryName}`);
  const local = entry.header.offset;
  const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
  const middle = start + Math.floor(entry.header.compressedSize / 2);
  for (let i = 0; i < 8; i += 1) buffer[middle + i] = buffer[middle + i]! ^ 0xa5;
  writeFileSync(file, buffer);
}

const ZIP = fixtureZip("vosdroits-latest.zip");

describe("xmlZipSource", () => {
  it("lists the F*.xml entries, at the root or in a folder, sorted like the folder reader", () => {
    const source = xmlZipSource(ZIP);
    expect(source.name).toBe("vdd-xml");
    expect(source.location).toBe(ZIP);
    const raws = source.list();
    expect(raws.map((r) => r.id)).toEqual(FIXTURE_IDS);
    expect(raws).toHaveLength(12);
    expect(raws.map((r) => r.origin)).toContain(`${ZIP}:vosdroits-latest/${FIXTURE_IDS[1]}.xml`);
    expect(raws.map((r) => r.origin)).toContain(`${ZIP}:${FIXTURE_IDS[0]}.xml`);
  });

  it("reads the same fiches as the folder reader, with the same hashes", () => {
    const fromZip = xmlZipSource(ZIP).list();
    const fromFolder = xmlFolderSource(FIXTURES_35).list();
    fromZip.forEach((raw, i) => {
      const twin = fromFolder[i]!;
      expect(raw.id).toBe(twin.id);
      expect(raw.hash()).toBe(twin.hash());
      const fiche = raw.load();
      expect(fiche.title).not.toBe("");
      expect(fiche).toEqual(twin.load());
    });
  });

  it("builds the same index as the folder, so switching between them re-processes nothing", () => {
    const fromFolder = buildIndex(xmlFolderSource(FIXTURES_35));
    const fromZip = buildIndex(xmlZipSource(ZIP), { previous: { chunks: fromFolder.index.chunks, fiches: fromFolder.fiches } });
    expect(fromZip.manifest.corpusHash).toBe(fromFolder.manifest.corpusHash);
    expect(fromZip.manifest.counts).toMatchObject({ read: 12, fiches: 12, unchanged: 12, processed: 0, skipped: 0 });
    expect(fromZip.index.rankFiches("bonus malus", 1)).toEqual(["F2655"]);
  });

  it("fingerprints the zip by size and modification time", () => {
    const file = fixtureZip("fingerprint.zip");
    const source = xmlZipSource(file);
    const before = source.fingerprint();
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    expect(source.fingerprint()).toBe(before);
    utimesSync(file, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
    const touched = source.fingerprint();
    expect(touched).not.toBe(before);
    fixtureZip("fingerprint.zip", { "F42.xml": "<Publication/>" });
    expect(source.fingerprint()).not.toBe(touched);
  });

  it("fails on a damaged entry alone, in hash() and load(), and ingestion skips it", () => {
    const file = fixtureZip("damaged.zip", { "vosdroits-latest/F1.xml": "<Publication" });
    const victim = FIXTURE_IDS[3]!;
    damageEntry(file, `vosdroits-latest/${victim}.xml`);
    const raws = xmlZipSource(file).list();
    expect(raws.map((r) => r.id)).toEqual(["F1", ...FIXTURE_IDS]);
    const damaged = raws.find((r) => r.id === victim)!;
    expect(() => damaged.hash()).toThrow(new RegExp(`^vosdroits-latest/${victim}\\.xml: damaged zip entry \\(.+\\)$`));
    expect(() => damaged.load()).toThrow(/damaged zip entry/);
    // An entry that unzips but is not XML fails on load() only, like a bad file of a folder.
    const invalid = raws.find((r) => r.id === "F1")!;
    expect(invalid.hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(() => invalid.load()).toThrow(/^invalid XML: /);

    const { manifest, skipped } = buildIndex(xmlZipSource(file));
    expect(manifest.counts).toMatchObject({ read: 13, fiches: 11, skipped: 2 });
    expect(Object.fromEntries(skipped.map((s) => [s.id, s.reason]))).toEqual({
      F1: expect.stringMatching(/^invalid XML: /),
      [victim]: expect.stringMatching(/damaged zip entry/),
    });
  });

  it("says clearly when the file is not a zip or is missing", () => {
    const notZip = join(dir, "not-a-zip.zip");
    writeFileSync(notZip, "<Publication>this is XML, not a zip</Publication>");
    expect(() => xmlZipSource(notZip).list()).toThrow(
      new RegExp(`^${notZip.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not a valid zip archive \\(\\d+ bytes; .+\\)$`),
    );
    const truncated = join(dir, "truncated.zip");
    writeFileSync(truncated, readFileSync(ZIP).subarray(0, 2000));
    expect(() => xmlZipSource(truncated).list()).toThrow(/truncated\.zip: not a valid zip archive/);
    expect(() => xmlZipSource(join(dir, "missing.zip")).list()).toThrow(/missing\.zip: cannot read the zip file \(ENOENT/);
    expect(() => xmlZipSource(dir).list()).toThrow(/cannot read the zip file \(not a file\)/);
  });

  it("is what the vdd-zip spec names, and the ingest CLI takes its file from --path", async () => {
    const source = sourceFromSpec(parseSourceSpec(`vosdroits-zip=${ZIP}`));
    expect(source.location).toBe(ZIP);
    expect(source.list()).toHaveLength(12);

    const indexDir = tempDir();
    const stderr = new PassThrough();
    let err = "";
    stderr.on("data", (d: Buffer) => (err += d.toString()));
    const spy = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr, env: {} };
      expect(await ingestMain(["--source", "vdd-zip", "--path", ZIP, "--index-dir", indexDir, "--no-progress"], io)).toBe(0);
      expect(err).toContain(`building index from ${ZIP}`);
      const manifest = readManifest(indexDir);
      expect(manifest?.sources).toEqual([{ name: "vdd-xml", location: ZIP, fingerprint: source.fingerprint() }]);
      expect(manifest?.counts.fiches).toBe(12);
    } finally {
      spy.mockRestore();
      rmSync(indexDir, { recursive: true, force: true });
    }
  });
});
