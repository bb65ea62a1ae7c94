import { jest } from "@jest/globals";
import { rmSync } from "node:fs";
import { buildCapabilities, capabilitiesOf, loadCapabilities } from "../graphs/capabilities.js";
import { loadIndex } from "../corpus/index-store.js";
import { loadConfig, type AppConfig } from "../tools/config.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

const FIXTURE_FICHES = ["F21138", "F21616", "F21619", "F2626", "F2632", "F2655", "F2685", "F2706", "F3049", "F3075", "F31258", "F31403"];

let dir: string;
let config: AppConfig;
const restoreEnv = { ...process.env };

beforeAll(async () => {
  dir = tempDir();
  config = loadConfig({ GUICHET_INDEX_DIR: dir, GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35 });
  // The ingest progress bar and the fallback's log go to the process' standard error.
  jest.spyOn(process.stderr, "write").mockImplementation(() => true);
});

afterAll(() => {
  jest.restoreAllMocks();
  process.env = restoreEnv;
  rmSync(dir, { recursive: true, force: true });
});

describe("loadCapabilities", () => {
  it("builds the missing index, then reuses it", async () => {
    const first: string[] = [];
    const caps = await loadCapabilities(config, (m) => first.push(m));
    expect(first[0]).toMatch(/^building index from .*vosdroits-3\.5 \(/);
    expect(first.some((m) => /^read 12 fiches: re-processed 12 \(12 new, 0 changed\)/.test(m))).toBe(true);
    expect(caps.snapshot).toEqual({
      source: FIXTURES_35,
      locations: [{ name: "vdd-xml", location: FIXTURES_35 }],
      date: "2026-04-22",
      fiches: 12,
      sourceDates: { "vdd-xml": "2026-04-22" },
      version: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(caps.answerer.name).toBe("extractive");
    expect(new Set(caps.search.chunks.map((c) => c.ficheId))).toEqual(new Set(FIXTURE_FICHES));

    const second: string[] = [];
    await loadCapabilities(config, (m) => second.push(m));
    expect(second).toEqual([`index in ${dir} is up to date with ${FIXTURES_35}`]);
  });

  it("buildCapabilities weighs answer terms with the index' term rarity", async () => {
    const caps = buildCapabilities(loadIndex(dir));
    const question = "Comment fonctionne le bonus-malus ?";
    const hits = caps.search.search(question, { k: 5, maxPerFiche: 2 });
    const reply = await caps.answerer.answer(question, hits);
    expect(reply.found).toBe(true);
    expect(reply.citations[0]?.id).toBe("F2655");
    expect(reply.citations[0]?.url).toBe("https://www.service-public.gouv.fr/particuliers/vosdroits/F2655");
  });
});

describe("capabilitiesOf without capabilities in the context (LangGraph Studio)", () => {
  it("loads them once from the configured index and caches them", async () => {
    process.env.GUICHET_INDEX_DIR = dir;
    process.env.GUICHET_SOURCE = "vdd-xml";
    process.env.GUICHET_SOURCE_PATH = FIXTURES_35;
    const a = await capabilitiesOf();
    const b = await capabilitiesOf({ context: {} });
    expect(b).toBe(a);
    expect(a.snapshot.fiches).toBe(12);
  });
});
