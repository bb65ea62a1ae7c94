import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";
import { APERTIUM_MODES_DIR, apertiumTranslator, type MachineTranslator } from "../tools/lang/apertium.js";
import { offlineFrench } from "../tools/lang/offline-french.js";
import { subsetCapabilities, tempDir } from "./helpers/fixtures.js";

/** A translator that records what it was asked: the node's wiring is tested apart from Apertium itself. */
function recordingTranslator(reply: string): MachineTranslator & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    languages: new Set(["es"]),
    toFrench: async (text) => {
      asked.push(text);
      return reply;
    },
  };
}

describe("offline French form of a foreign question", () => {
  it("sends the machine translation and the glossary keywords together", async () => {
    const translator = recordingTranslator("Combien coûte un passeport ?");
    const french = await offlineFrench("¿Cuánto cuesta el pasaporte?", "es", { machineTranslator: translator });
    expect(french.via).toBe("apertium");
    expect(french.query.startsWith("Combien coûte un passeport ?")).toBe(true);
    expect(french.query).toContain("passeport");
    expect(translator.asked).toEqual(["¿Cuánto cuesta el pasaporte?"]);
  });

  it("keeps to the glossary for a language the translator has no pair for, and when it gives nothing", async () => {
    const translator = recordingTranslator("ignored");
    expect((await offlineFrench("How much does a passport cost?", "en", { machineTranslator: translator })).via).toBe("glossary");
    expect(translator.asked).toEqual([]);
    const silent: MachineTranslator = { languages: new Set(["es"]), toFrench: async () => undefined };
    expect(await offlineFrench("¿Cuánto cuesta el pasaporte?", "es", { machineTranslator: silent })).toMatchObject({ via: "glossary" });
  });

  it("runs in the graph: the translation is what retrieval is given, and the passport fiche is found", async () => {
    const translator = recordingTranslator("Combien coûte un passeport ?");
    const response = await runGuichet(buildGraph(), { question: "¿Cuánto cuesta el pasaporte?" }, {
      capabilities: { ...subsetCapabilities(), machineTranslator: translator },
    });
    expect(response.language).toBe("es");
    expect(response.citations.map((c) => c.id)).toContain("F34752");
    expect(translator.asked).toHaveLength(1);
  });
});

describe("Apertium", () => {
  it("is absent when the modes folder is missing or has no pair into French", () => {
    expect(apertiumTranslator(join(tempDir("guichet-apertium-"), "missing"))).toBeUndefined();
    const dir = tempDir("guichet-apertium-");
    writeFileSync(join(dir, "fr-es.mode"), "lt-proc x\n");
    expect(apertiumTranslator(dir)).toBeUndefined();
  });

  const installed = apertiumTranslator(APERTIUM_MODES_DIR);
  if (!installed?.languages.has("es")) {
    it.skip(`Spanish → French with the real Apertium (not installed here: apt-get install apertium-fr-es)`, () => {});
    process.stderr.write("lang-apertium: apertium-fr-es is not installed, the real-translator test is skipped\n");
    return;
  }

  it("translates Spanish into French with the installed pair, the text never read as shell code", async () => {
    expect(await installed.toFrench("Mi casero no me devuelve la fianza", "es")).toMatch(/propriétaire/);
    const marker = join(tempDir("guichet-apertium-"), "touched");
    const french = await installed.toFrench(`hola $(touch ${marker}) \`touch ${marker}\``, "es");
    expect(french).toBeDefined();
    expect(existsSync(marker)).toBe(false);
    expect(await installed.toFrench("Hello", "en")).toBeUndefined();
  });
});
