import { buildIndex } from "../corpus/build-index.js";
import { npmVddSource } from "../corpus/sources/npm-vdd.js";
import { buildCapabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";

describe("full npm snapshot (particuliers)", () => {
  const built = buildIndex(npmVddSource("particuliers"));

  it("reads every F fiche and skips only empty pages, each with its reason", () => {
    const { counts } = built.manifest;
    expect(counts.read).toBe(2980);
    expect(counts.fiches + counts.skipped).toBe(counts.read);
    expect(counts.fiches).toBeGreaterThan(2900);
    expect(built.skipped.every((s) => /empty body/.test(s.reason))).toBe(true);
    expect(counts.chunks).toBeGreaterThan(30_000);
    expect(built.manifest.snapshotDate).toMatch(/^2020-1[01]-\d\d$/);
  });

  it("answers the passport fee question with the fee and a service-public.fr source", async () => {
    const capabilities = buildCapabilities({ index: built.index, manifest: built.manifest });
    const response = await runGuichet(
      buildGraph(),
      { question: "Quel est le prix d’un passeport pour un adulte ?" },
      { capabilities },
    );
    expect(response.found).toBe(true);
    expect(response.answer).toContain("86 €");
    expect(response.citations[0]?.id).toBe("F34752");
    expect(response.citations.some((c) => c.url.startsWith("https://www.service-public.fr/"))).toBe(true);
  });
});
