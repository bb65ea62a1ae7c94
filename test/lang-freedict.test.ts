import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildBilingual, readDictd } from "../tools/lang/freedict.js";
import { translateQueryOffline } from "../tools/lang/translate-query.js";
import { tempDir } from "./helpers/fixtures.js";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const b64 = (n: number): string => (n < 64 ? B64[n]! : b64(Math.floor(n / 64)) + B64[n % 64]!);

/** Writes a dictd dictionary (the format of Debian's dict-freedict-* packages) from headword → entry body. */
function writeDictd(dir: string, name: string, entries: Record<string, string>): void {
  let body = "";
  const index: string[] = ["00databaseinfo\tA\tA"];
  for (const [head, text] of Object.entries(entries)) {
    const entry = `${head} /pron/\n${text}\n`;
    index.push(`${head}\t${b64(Buffer.byteLength(body))}\t${b64(Buffer.byteLength(entry))}`);
    body += entry;
  }
  writeFileSync(join(dir, `${name}.index`), `${index.join("\n")}\n`);
  writeFileSync(join(dir, `${name}.dict.dz`), gzipSync(Buffer.from(body)));
}

describe("FreeDict word lists", () => {
  const dir = tempDir("guichet-freedict-");
  writeDictd(dir, "freedict-eng-fra", {
    passport: "passeport",
    tenant: "1. locataire\n2. occupant (d'un logement)",
    deposit: "dépôt de garantie, caution",
    flatmate: "colocataire",
    meaning: "Ce que veut dire une phrase longue qui est une définition.",
  });
  writeDictd(dir, "freedict-fra-spa", { passeport: "pasaporte", locataire: "inquilino, arrendatario" });
  writeDictd(dir, "freedict-ara-eng", { "مستأجر": "tenant" });

  it("reads dictd entries: numbered senses split, notes and long definitions dropped", () => {
    const dict = readDictd(dir, "freedict-eng-fra")!;
    expect(dict.get("tenant")).toEqual(["locataire", "occupant"]);
    expect(dict.get("meaning")).toBeUndefined();
    expect(readDictd(dir, "freedict-xxx-fra")).toBeNull();
  });

  it("builds X → French lists directly, by turning French → X around, and through English for Arabic", () => {
    const lists = buildBilingual((french) => french !== "occupant", dir);
    expect(lists.en?.tenant).toEqual(["locataire"]); // "occupant" is not a word of the knowledge base here
    expect(lists.es?.inquilino).toEqual(["locataire"]);
    expect(lists.es?.pasaporte).toEqual(["passeport"]);
    expect(lists.ar?.["مستاجر"]).toEqual(["locataire"]);
    expect(lists.de).toBeUndefined(); // no German dictionary installed here
  });

  it("translates the words the glossary does not know, the glossary's words weighing twice", () => {
    const lists = buildBilingual(() => true, dir);
    const plain = translateQueryOffline("my passport and my flatmate", "en");
    const withLists = translateQueryOffline("my passport and my flatmate", "en", lists.en);
    expect(plain.fromDictionary).toBe(0);
    expect(withLists.fromDictionary).toBeGreaterThan(0);
    expect(withLists.query.split(" ").filter((w) => w === "passeport")).toHaveLength(2);
    expect(withLists.query).toContain("colocataire");
    // One dictionary word alone does not make a question answerable.
    expect(translateQueryOffline("flatmate", "en", lists.en)).toEqual({ query: "flatmate", matched: 0, fromDictionary: 0 });
  });
});
