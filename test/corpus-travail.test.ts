import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildIndex } from "../corpus/build-index.js";
import type { Fiche } from "../corpus/fiche.js";
import { sha256 } from "../corpus/sources/files.js";
import { htmlToText } from "../corpus/sources/html-text.js";
import {
  TRAVAIL_AUDIENCE,
  TRAVAIL_THEME,
  TRAVAIL_TYPE,
  travailDate,
  travailFiche,
  travailPackageDir,
  travailSource,
  type TravailEntry,
} from "../corpus/sources/travail.js";
import { tempDir } from "./helpers/fixtures.js";

const PACKAGE_DIR = travailPackageDir();
const VERSION = (JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { version: string }).version;
const ENTRIES = JSON.parse(readFileSync(join(PACKAGE_DIR, "data", "fiches-travail.json"), "utf8")) as TravailEntry[];

const source = travailSource();
const raws = source.list();
const loaded: Fiche[] = [];
const failures: { id: string; reason: string }[] = [];
for (const raw of raws) {
  try {
    loaded.push(raw.load());
  } catch (error) {
    failures.push({ id: raw.id, reason: (error as Error).message });
  }
}
const byId = new Map(loaded.map((fiche) => [fiche.id, fiche]));

function fiche(id: string): Fiche {
  const found = byId.get(id);
  if (!found) throw new Error(`${id} is not in @socialgouv/fiches-travail-data@${VERSION}`);
  return found;
}

function lines(f: Fiche): string[] {
  return f.sections.flatMap((section) => section.text.split("\n"));
}

const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the package (package.json + data file) holding the given entries. */
function packageCopy(entries: unknown, version = "9.9.9"): string {
  const dir = tempDir("guichet-travail-");
  cleanup.push(dir);
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "@socialgouv/fiches-travail-data", version }));
  writeFileSync(join(dir, "data", "fiches-travail.json"), typeof entries === "string" ? entries : JSON.stringify(entries));
  return dir;
}

describe("travailSource on the installed package", () => {
  it("names itself and its package version", () => {
    expect(source.name).toBe("travail");
    expect(source.location).toBe(`@socialgouv/fiches-travail-data@${VERSION}`);
    expect(source.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(source.fingerprint()).toBe(travailSource().fingerprint());
  });

  it("lists every entry and loads nearly all of them", () => {
    expect(raws).toHaveLength(ENTRIES.length);
    expect(raws.length).toBeGreaterThan(250);
    expect(loaded.length + failures.length).toBe(raws.length);
    // Every failure carries its reason; none is expected in this version of the package.
    for (const failure of failures) expect(failure.reason).not.toBe("");
    expect(failures.length).toBeLessThanOrEqual(5);
    expect(new Set(raws.map((r) => r.id)).size).toBe(raws.length);
    // pubIds are mostly "article123456"; a few are bare numbers or other slugs ("12509", "article-ACFg1E").
    expect(raws.filter((r) => /^article\d+$/.test(r.id)).length).toBeGreaterThan(raws.length - 10);
    expect(raws[0]!.origin).toMatch(/fiches-travail\.json\[0\]$/);
  });

  it("hashes the entry's JSON, stably", () => {
    const raw = raws[0]!;
    expect(raw.hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(raw.hash()).toBe(raw.hash());
    expect(raw.hash()).toBe(sha256(JSON.stringify(ENTRIES[0])));
    expect(raws[1]!.hash()).not.toBe(raw.hash());
    expect(travailSource().list()[0]!.hash()).toBe(raw.hash());
  });

  it("maps a known fiche's metadata (délégués syndicaux)", () => {
    const f = fiche("article375542");
    expect(f.title).toBe("Les délégués syndicaux");
    expect(f.url).toBe("https://travail-emploi.gouv.fr/les-delegues-syndicaux");
    expect(f.date).toBe("2025-11-13");
    expect(f.description).toMatch(/^Chaque syndicat représentatif/);
    expect(f.audience).toBe(TRAVAIL_AUDIENCE);
    expect(f.type).toBe(TRAVAIL_TYPE);
    expect(f.theme).toBe(TRAVAIL_THEME);
    expect(f.services).toEqual([]);
  });

  it("puts the intro first without a heading, then one section per entry under its title", () => {
    const f = fiche("article375542");
    const entry = ENTRIES.find((e) => e.pubId === "article375542")!;
    expect(f.sections[0]!.path).toEqual([]);
    expect(f.sections[0]!.text.split("\n")[0]).toMatch(/^- Chaque syndicat représentatif dans une entreprise/);
    // The first section is titled like the fiche itself: no path.
    expect(entry.sections![0]!.title).toBe(f.title);
    expect(f.sections[1]!.path).toEqual([]);
    expect(f.sections[1]!.text).toBe(
      "À savoir !\nLe mandat de délégué syndical peut être cumulé avec celui de membre de la délégation du personnel au CSE ou de représentant syndical à ce comité.",
    );
    const titled = f.sections.filter((s) => s.path.length > 0).map((s) => s.path[0]);
    expect(titled).toContain("De quelles garanties les délégués syndicaux bénéficient-ils ?");
    for (const section of f.sections) expect(section.path.length).toBeLessThanOrEqual(1);
  });

  it("renders lists as '- ' lines, nested ones indented, and headings on their own line", () => {
    const f = fiche("article105512");
    const all = lines(f);
    expect(all).toContain("Prise en compte des charges de famille");
    expect(all).toContain("- Les avantages en nature ;");
    expect(all.some((l) => l.startsWith("  - Égale à la fraction saisissable applicable"))).toBe(true);
    expect(all.some((l) => /^\d+\. La mention du titre exécutoire/.test(l))).toBe(true);
  });

  it("renders table rows as 'first cell — header : value ; …'", () => {
    expect(lines(fiche("article105512"))).toContain(
      "Jusqu’à 4 480 € — Rémunération mensuelle : Jusqu’à 373,33 € ; Fraction saisissable : 1/20e ; Montant saisissable (par mois : 18,67 €",
    );
    // Two header rows (rowspan, colspan) combine per column.
    expect(lines(fiche("article100982"))).toContain(
      "Accroissement temporaire de l'activité de l'entreprise — Durée maximale – Contrat de date à date : 18 mois ; Durée maximale – Contrat sans terme certain : Impossible",
    );
  });

  it("keeps link texts and collects their URLs as external links", () => {
    const f = fiche("article375542");
    expect(f.sections[0]!.text).toContain("protection particulière en matière de licenciement");
    expect(f.links).toContainEqual({
      text: "protection particulière en matière de licenciement",
      kind: "external",
      target: "https://travail-emploi.gouv.fr/la-protection-en-cas-de-licenciement",
    });
    expect(f.links.every((l) => l.kind === "external" && /^https?:\/\//.test(l.target))).toBe(true);
    expect(f.references.length).toBeGreaterThan(0);
    expect(f.references[0]!.url).toMatch(/^https:\/\/www\.legifrance\.gouv\.fr\/codes\/article_lc\/LEGIARTI\d+$/);
    expect(f.references[0]!.title).toMatch(/^Code du travail, article [LRD]\d/);
  });

  it("leaves no tag, entity, non-breaking space or empty section anywhere", () => {
    for (const f of loaded) {
      expect(f.sections.length).toBeGreaterThan(0);
      expect(f.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(f.url).toMatch(/^https:\/\/travail-emploi\.gouv\.fr\//);
      expect(`${f.title}${f.description}`).not.toMatch(/[\u00a0\u202f]|&(#\d+|[a-z]+);/i);
      for (const section of f.sections) {
        expect(section.text.trim()).not.toBe("");
        expect(section.path.join("")).not.toMatch(/[\u00a0\u202f]|^\s|\s$/);
        const text = section.text;
        expect(text).not.toMatch(/<\/?(p|div|span|strong|a|ul|ol|li|h\d|table|tr|td|th|br|section|button|img)\b[^>]*>/i);
        expect(text).not.toMatch(/&(#\d+|#x[0-9a-f]+|[a-z]+);/i);
        expect(text).not.toMatch(/&nbsp/);
        expect(text).not.toMatch(/[\u00a0\u202f]/);
        expect(text).not.toMatch(/\n\s*\n|^\s|[ \t]\n|[ \t]$/);
      }
    }
  });

  it("drops the design system's card decorations (tags and the linked page's update date)", () => {
    const related = fiche("article375542").sections.find((s) => s.path[0] === "À lire sur ce site");
    expect(related?.text).toMatch(/^- La protection en cas de licenciement Les salariés représentants/);
    expect(related?.text).not.toMatch(/Date de mise à jour|Fiche pratique/);
  });
});

describe("travailFiche", () => {
  const good: TravailEntry = {
    pubId: "article1",
    title: "Le titre",
    url: "https://travail-emploi.gouv.fr/le-titre",
    date: "05/03/2024",
    description: "Résumé.",
    intro: "<p>Intro&nbsp;: texte.</p>",
    sections: [
      { title: "Le titre", html: "<p>Même titre que la fiche.</p>" },
      { title: "Une question ?", html: "<ul><li>un</li><li>deux<ul><li>deux-un</li></ul></li></ul>" },
      { title: "Vide", html: "<p> &nbsp; </p>" },
    ],
  };

  it("converts a well-formed entry", () => {
    const f = travailFiche(good);
    expect(f.id).toBe("article1");
    expect(f.date).toBe("2024-03-05");
    expect(f.sections).toEqual([
      { path: [], text: "Intro : texte." },
      { path: [], text: "Même titre que la fiche." },
      { path: ["Une question ?"], text: "- un\n- deux\n  - deux-un" },
    ]);
  });

  it.each<[string, TravailEntry, RegExp]>([
    ["no pubId", { ...good, pubId: undefined }, /^no pubId$/],
    ["blank pubId", { ...good, pubId: "  " }, /^no pubId$/],
    ["no title", { ...good, title: "" }, /^article1: no title$/],
    ["no text", { ...good, intro: "<p></p>", sections: [{ title: "x", html: "<div> </div>" }, { title: "y" }] }, /^article1: empty body/],
    ["a bad date", { ...good, date: "2024-03-05" }, /^date "2024-03-05" is not dd\/mm\/yyyy$/],
    ["an impossible date", { ...good, date: "31/02/2024" }, /^date "31\/02\/2024" does not exist$/],
  ])("throws with a reason on %s", (_label, entry, reason) => {
    expect(() => travailFiche(entry)).toThrow(reason);
  });

  it("converts dates", () => {
    expect(travailDate("13/11/2025")).toBe("2025-11-13");
    expect(travailDate(" 01/01/2000 ")).toBe("2000-01-01");
    expect(() => travailDate(undefined)).toThrow(/is not dd\/mm\/yyyy/);
  });
});

describe("travailSource on a package copy", () => {
  const good = ENTRIES.find((e) => e.pubId === "article375542")!;
  const entries = [
    good,
    { ...good, pubId: undefined, title: "Sans identifiant" },
    { ...good, pubId: "article2", title: "" },
    { ...good, pubId: "article3", intro: "", sections: [{ title: "Vide", html: "<p>&nbsp;</p>", text: "" }] },
    "not an object",
  ];

  it("reports each bad entry with its reason and indexes the good one", () => {
    const copy = travailSource(packageCopy(entries));
    expect(copy.location).toBe("@socialgouv/fiches-travail-data@9.9.9");
    const listed = copy.list();
    expect(listed.map((r) => r.id)).toEqual(["article375542", "travail#1", "article2", "article3", "travail#4"]);
    expect(() => listed[1]!.load()).toThrow(/^no pubId$/);
    expect(() => listed[2]!.load()).toThrow(/^article2: no title$/);
    expect(() => listed[3]!.load()).toThrow(/^article3: empty body/);
    expect(() => listed[4]!.load()).toThrow(/^travail#4: not an object$/);
    for (const raw of listed) expect(raw.hash()).toMatch(/^[0-9a-f]{64}$/);

    const { manifest, skipped, index } = buildIndex(copy);
    expect(manifest.counts).toMatchObject({ read: 5, fiches: 1, skipped: 4 });
    expect(skipped.map((s) => [s.id, s.source])).toEqual([
      ["travail#1", "travail"],
      ["article2", "travail"],
      ["article3", "travail"],
      ["travail#4", "travail"],
    ]);
    expect(skipped.map((s) => s.reason)).toEqual(["no pubId", "article2: no title", expect.stringMatching(/empty body/), "travail#4: not an object"]);
    expect(index.chunks.every((c) => c.source === "travail" && c.ficheId === "article375542")).toBe(true);
    expect(manifest.snapshotDate).toBe("2025-11-13");
  });

  it("changes its fingerprint with the data file or the version", () => {
    const a = travailSource(packageCopy([good])).fingerprint();
    expect(travailSource(packageCopy([good])).fingerprint()).toBe(a);
    expect(travailSource(packageCopy([good, good])).fingerprint()).not.toBe(a);
    expect(travailSource(packageCopy([good], "9.9.10")).fingerprint()).not.toBe(a);
  });

  it("fails clearly when the data file is not a JSON array", () => {
    expect(() => travailSource(packageCopy("{ not json")).list()).toThrow(/fiches-travail\.json: cannot read the labour fiches/);
    expect(() => travailSource(packageCopy({ fiches: [] })).list()).toThrow(/fiches-travail\.json: expected an array of fiches/);
  });
});

describe("htmlToText", () => {
  it("puts paragraphs, headings and <br> breaks on their own lines, collapsing whitespace", () => {
    expect(htmlToText("<h3>Titre</h3><p>Un\n  deux&nbsp;trois<br>quatre</p>texte <strong>libre</strong>").text).toBe(
      "Titre\nUn deux trois\nquatre\ntexte libre",
    );
  });

  it("keeps inline markup glued (exponents, spans) and drops scripts, images and empty blocks", () => {
    expect(htmlToText('<p>le 1<sup>er</sup> janvier<img src="x.png" alt="logo"><script>x()</script></p><p> </p>').text).toBe(
      "le 1er janvier",
    );
  });

  it("renders lists: '- ' items, '1.' numbers, nested indentation, text after a nested list", () => {
    const html = '<ol start="3"><li><p>trois</p><p>suite</p></li><li>quatre<ul><li>a</li><li>b<ol><li>x</li></ol></li></ul>fin</li></ol>';
    expect(htmlToText(html).text).toBe("3. trois suite\n4. quatre\n  - a\n  - b\n    1. x\n  fin");
  });

  it("renders tables with headers, spans and without headers", () => {
    const withHeaders =
      "<table><caption>Barème</caption><thead><tr><th>Âge</th><th>Montant</th><th>Note</th></tr></thead>" +
      '<tbody><tr><td rowspan="2">18 ans</td><td>10 €</td><td></td></tr><tr><td>12 €</td><td>majoré</td></tr>' +
      '<tr><td colspan="3">Voir ci-dessous</td></tr></tbody></table>';
    expect(htmlToText(withHeaders).text).toBe(
      "Barème\n18 ans — Montant : 10 €\n18 ans — Montant : 12 € ; Note : majoré\nVoir ci-dessous",
    );
    expect(htmlToText("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td></td></tr></table>").text).toBe("a | b\nc");
  });

  it("decodes entities escaped twice upstream", () => {
    expect(htmlToText("<p>l&amp;#039;employeur &amp;nbsp;: 3 &lt; 4 &amp; R&amp;D</p>").text).toBe("l'employeur : 3 < 4 & R&D");
    expect(htmlToText('<p><a href="https://x.fr/a&amp;nbsp">https://x.fr/a&amp;nbsp</a>;</p>').text).toBe("https://x.fr/a ;");
  });

  it("collects http(s) links, resolved against the page, once each", () => {
    const { text, links } = htmlToText(
      '<p>Voir <a href="/page">la page</a>, <a href="https://a.fr/x">A</a>, <a href="https://a.fr/x">A</a>, ' +
        '<a href="mailto:x_@y.fr">écrire</a>, <a href="#haut">haut</a>.</p>',
      "https://travail-emploi.gouv.fr/fiche",
    );
    expect(text).toBe("Voir la page, A, A, écrire, haut.");
    expect(links).toEqual([
      { text: "la page", url: "https://travail-emploi.gouv.fr/page" },
      { text: "A", url: "https://a.fr/x" },
    ]);
  });
});
