import { buildIndex, type BuildResult } from "../corpus/build-index.js";
import { parseSourceSpec, sourceFromSpec, sourcesFromConfig } from "../corpus/select-source.js";
import { travailSource } from "../corpus/sources/travail.js";
import { xmlFolderSource } from "../corpus/sources/xml-folder.js";
import { loadConfig } from "../tools/config.js";
import { FIXTURES_35 } from "./helpers/fixtures.js";

describe("parseSourceSpec: labour fiches and the zip dump", () => {
  it.each([
    ["travail", { kind: "travail" }],
    ["fiches-travail", { kind: "travail" }],
    ["  Travail-Data ", { kind: "travail" }],
    ["vdd-zip=/data/vosdroits-latest.zip", { kind: "vdd-zip", path: "/data/vosdroits-latest.zip" }],
    ["vosdroits-zip=./dump.zip", { kind: "vdd-zip", path: "./dump.zip" }],
    ["VDD-ZIP=C:/dumps/a=b.zip", { kind: "vdd-zip", path: "C:/dumps/a=b.zip" }],
  ])("reads %j", (text, spec) => {
    expect(parseSourceSpec(text)).toEqual(spec);
  });

  it.each([
    ["travail=/x", /^source "travail=\/x": travail takes no path \(it reads the installed @socialgouv\/fiches-travail-data package\)$/],
    ["fiches-travail=", /^source "fiches-travail=": travail takes no path/],
    ["travail:particuliers", /^source "travail:particuliers": only vdd-npm takes an audience$/],
    ["vdd-zip", /^source "vdd-zip": needs a zip file, as in vdd-zip=\/path\/to\/vosdroits-latest\.zip$/],
    ["vosdroits-zip=  ", /^source "vosdroits-zip= {2}": needs a zip file/],
    ["vdd-zip:pro=/x.zip", /^source "vdd-zip:pro=\/x\.zip": only vdd-npm takes an audience$/],
    ["zip=/x.zip", /^unknown source "zip" \(expected one of: .*vdd-zip, vosdroits-zip, travail, fiches-travail, travail-data\)$/],
  ])("rejects %j", (text, message) => {
    expect(() => parseSourceSpec(text)).toThrow(message);
  });

  it("keeps the existing kinds as they were", () => {
    expect(parseSourceSpec("vdd-npm:professionnels")).toEqual({ kind: "vdd-npm", audience: "professionnels" });
    expect(parseSourceSpec("vosdroits-xml=/x")).toEqual({ kind: "vdd-xml", path: "/x" });
    expect(() => parseSourceSpec("vdd-xml")).toThrow(/needs a folder, as in vdd-xml=/);
  });

  it("makes the sources, from GUICHET_SOURCES too", () => {
    const travail = sourceFromSpec({ kind: "travail" });
    expect(travail.name).toBe("travail");
    expect(travail.location).toMatch(/^@socialgouv\/fiches-travail-data@\d+\.\d+\.\d+$/);
    const zip = sourceFromSpec({ kind: "vdd-zip", path: "/nowhere/vosdroits-latest.zip" });
    expect(zip.name).toBe("vdd-xml");
    expect(zip.location).toBe("/nowhere/vosdroits-latest.zip");
    expect(() => sourceFromSpec({ kind: "vdd-zip" })).toThrow(/vdd-zip source needs a zip file/);

    const config = loadConfig({ GUICHET_SOURCES: `vdd-xml=${FIXTURES_35},travail,vdd-zip=/nowhere/a.zip` });
    expect(config.sources).toEqual([
      { kind: "vdd-xml", path: FIXTURES_35 },
      { kind: "travail" },
      { kind: "vdd-zip", path: "/nowhere/a.zip" },
    ]);
    expect(sourcesFromConfig(config.sources).map((s) => s.name)).toEqual(["vdd-xml", "travail", "vdd-xml"]);
    expect(() => loadConfig({ GUICHET_SOURCES: "travail=/x" })).toThrow(/GUICHET_SOURCES: source "travail=\/x": travail takes no path/);
  });
});

describe("an index of service-public fiches and labour fiches", () => {
  let built: BuildResult;
  beforeAll(() => {
    built = buildIndex([xmlFolderSource(FIXTURES_35), travailSource()]);
  });

  it("indexes both sources and records them in the manifest", () => {
    const { manifest, skipped } = built;
    expect(skipped).toEqual([]);
    expect(manifest.sources.map((s) => s.name)).toEqual(["vdd-xml", "travail"]);
    expect(manifest.sources[1]!.location).toMatch(/^@socialgouv\/fiches-travail-data@/);
    expect(manifest.counts.fiches).toBe(12 + travailSource().list().length);
    expect(Object.values(built.fiches).filter((f) => f.source === "travail").length).toBeGreaterThan(250);
  });

  it.each([
    ["rupture conventionnelle", "article108383"],
    ["délégué syndical", "article375542"],
    ["saisie sur salaire", "article105512"],
  ])("ranks a labour fiche first for %j, the expected one in the top 3", (question, id) => {
    const ranked = built.index.rankFiches(question, 3);
    expect(built.fiches[ranked[0]!]?.source).toBe("travail");
    expect(ranked).toContain(id);
  });

  it("still ranks a service-public fiche first for its own questions", () => {
    expect(built.index.rankFiches("bonus malus", 1)).toEqual(["F2655"]);
  });

  it("carries the source, url, date and audience on every labour chunk", () => {
    const chunks = built.index.chunks.filter((c) => c.source === "travail");
    expect(chunks.length).toBeGreaterThan(1000);
    for (const chunk of chunks) {
      expect(chunk.url).toMatch(/^https:\/\/travail-emploi\.gouv\.fr\/./);
      expect(chunk.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(chunk.audience).toBe("Salariés et employeurs");
      expect(chunk.theme).toBe("Travail");
    }
    const hits = built.index.search("rupture conventionnelle homologation", { k: 5, source: ["travail"] });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.chunk.source === "travail")).toBe(true);
    expect(hits[0]!.chunk.breadcrumb.startsWith(hits[0]!.chunk.title)).toBe(true);
  });
});
