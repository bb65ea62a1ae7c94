import { jest } from "@jest/globals";
import { rmSync } from "node:fs";
import { PassThrough } from "node:stream";
import { askMain, formatAnswer } from "../cli/ask.js";
import { ingestMain } from "../cli/ingest.js";
import { processIo, readLines, runMain, writeLine, type CliIo } from "../cli/io.js";
import { searchMain, toSearchResults } from "../cli/search.js";
import { openSession } from "../cli/session.js";
import type { AskResponse } from "../graphs/run.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

const RESPONSE_KEYS = ["actions", "answer", "blocked", "cache", "citations", "degraded", "found", "language", "redacted", "sources", "timings", "trace_id"];
const FICHE_URL = /^https:\/\/www\.service-public\.(gouv\.)?fr\/particuliers\/vosdroits\/F\d+$/;

let dir: string;
let env: NodeJS.ProcessEnv;

interface Run {
  io: CliIo;
  out: () => string;
  err: () => string;
}

/** In-memory standard streams; `input` is what the command reads on standard input. */
function streams(input = "", withEnv: NodeJS.ProcessEnv = env): Run {
  const io = memoryIo(withEnv, input);
  return { io, out: io.out, err: io.err };
}

beforeAll(async () => {
  dir = tempDir();
  env = { GUICHET_INDEX_DIR: dir, GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35, LOG_LEVEL: "silent", GUICHET_FREEDICT_DIR: "off" };
  // Commands that load the index pass `progress: true`: the bar goes to the process' standard error.
  jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  const run = streams();
  expect(await ingestMain(["--no-progress"], run.io)).toBe(0);
  expect(run.err()).toMatch(
    /^building index from .*vosdroits-3\.5 \(no index\)\nread 12 fiches: re-processed 12 \(12 new, 0 changed\), 0 unchanged, 0 removed, 0 skipped; index: 12 fiches, \d+ chunks, corpus [0-9a-f]{12}, \d+ ms\n$/,
  );
  expect(run.out()).toBe("");
});

afterAll(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe("ingest", () => {
  it("says there is nothing to do on a second run", async () => {
    const run = streams();
    expect(await ingestMain(["--no-progress"], run.io)).toBe(0);
    expect(run.err()).toBe(`index in ${dir} is up to date with ${FIXTURES_35}\nnothing to do: re-processed 0 fiches\n`);
    expect(run.out()).toBe("");
  });

  it("re-reads every fiche with --force but re-processes none of the unchanged ones", async () => {
    const run = streams();
    expect(await ingestMain(["--force", "--no-progress"], run.io)).toBe(0);
    expect(run.err()).toMatch(/^updating index from .* \(forced\)\n/);
    expect(run.err()).toContain("re-processed 0 (0 new, 0 changed), 12 unchanged, 0 removed, 0 skipped");
  });

  it("rebuilds from scratch with --full", async () => {
    const run = streams();
    expect(await ingestMain(["--full", "--no-progress"], run.io)).toBe(0);
    expect(run.err()).toMatch(/^building index from .* \(forced\)\n/);
    expect(run.err()).toContain("re-processed 12 (12 new, 0 changed)");
  });

  it("takes the source and index directory from its options", async () => {
    const other = tempDir();
    try {
      const run = streams("", {});
      expect(
        await ingestMain(["--source", "vosdroits-xml", "--path", FIXTURES_35, "--index-dir", other, "--no-progress"], run.io),
      ).toBe(0);
      expect(run.err()).toContain(`building index from ${FIXTURES_35}`);
      const again = streams("", { GUICHET_INDEX_DIR: other, GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35 });
      await ingestMain(["--no-progress"], again.io);
      expect(again.err()).toContain("nothing to do");
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("rejects an unknown source", async () => {
    const run = streams();
    await expect(ingestMain(["--source", "ftp"], run.io)).rejects.toThrow(/unknown source "ftp" \(expected one of: /);
  });
});

describe("ask", () => {
  it("--json prints the /invoke response on standard output only", async () => {
    const run = streams();
    expect(await askMain(["--json", "Comment", "fonctionne", "le", "bonus-malus", "?"], run.io)).toBe(0);
    const response = JSON.parse(run.out()) as AskResponse;
    expect(Object.keys(response).sort()).toEqual(RESPONSE_KEYS);
    expect(response).toMatchObject({ blocked: false, found: true, language: "fr", degraded: [] });
    expect(response.citations[0]).toMatchObject({ n: 1, id: "F2655" });
    expect(response.citations[0]!.url).toMatch(FICHE_URL);
    expect(response.sources).toEqual({
      name: FIXTURES_35,
      snapshot_date: "2026-04-22",
      licence: "Licence Ouverte 2.0 (DILA, service-public.fr)",
    });
    expect(run.out().endsWith("}\n")).toBe(true);
    expect(run.err()).not.toContain("{");
  });

  it("prints a readable answer with its Sources", async () => {
    const run = streams();
    expect(await askMain(["Quel est le montant de la franchise ?"], run.io)).toBe(0);
    const out = run.out();
    expect(out).toContain("\nSources :\n");
    expect(out).toMatch(/^ {2}\[1\] Franchise d'assurance automobile : comment ça marche \? \(F2706, mise à jour 2025-04-14\)$/m);
    expect(out).toMatch(/^ {6}https:\/\/www\.service-public\.(gouv\.)?fr\/particuliers\/vosdroits\/F2706$/m);
    expect(out).toContain(`Données : ${FIXTURES_35}, état au 2026-04-22. Licence Ouverte 2.0 (DILA, service-public.fr).\n`);
    expect(out).toMatch(/€/);
  });

  it("prints no Sources section when nothing is found", async () => {
    const run = streams();
    await askMain(["recette de la tarte aux pommes"], run.io);
    expect(run.out()).toContain("Je n'ai pas trouvé de réponse");
    expect(run.out()).not.toContain("Sources");
  });

  it("--stdin answers one JSON line per non-empty line, in order", async () => {
    const run = streams(
      "Que faire en cas de vol d'un véhicule ?\n\n   \nUne caravane doit-elle avoir une assurance auto ?\nrecette de la tarte aux pommes\n",
    );
    expect(await askMain(["--stdin"], run.io)).toBe(0);
    const lines = run.out().trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    const [vol, caravane, tarte] = lines.map((l) => JSON.parse(l) as AskResponse);
    expect(vol!.found).toBe(true);
    expect(vol!.citations.map((c) => c.id)).toEqual(expect.arrayContaining(["F21138"]));
    expect(caravane!.citations[0]?.id).toBe("F21619");
    expect(tarte).toMatchObject({ found: false, citations: [] });
  });

  it("--language en passes the language on", async () => {
    const run = streams();
    await askMain(["--json", "--language", "en", "franchise assurance"], run.io);
    expect(JSON.parse(run.out())).toMatchObject({ language: "en", degraded: ["translation_unavailable"] });
  });

  it("prints a refusal for a question with control characters", async () => {
    const run = streams();
    await askMain(["--json", "franchise\u0007"], run.io);
    expect(JSON.parse(run.out())).toMatchObject({ blocked: { reason: "control_characters" }, citations: [] });
  });

  it("exits with 2 and the usage when there is no question", async () => {
    for (const argv of [[], ["--json"], ["  "]]) {
      const run = streams();
      expect(await askMain(argv, run.io)).toBe(2);
      expect(run.err()).toBe('usage: npm run ask -- [--json] "question"  (or --stdin)\n');
      expect(run.out()).toBe("");
    }
  });

  it("rejects an unknown option", async () => {
    const run = streams();
    await expect(askMain(["--bogus", "q"], run.io)).rejects.toMatchObject({ code: "commander.unknownOption" });
    expect(run.err()).toContain("unknown option '--bogus'");
  });

  it("fails on a bad configuration", async () => {
    const run = streams("", { GUICHET_SOURCE: "vdd-xml" });
    await expect(askMain(["q"], run.io)).rejects.toThrow("GUICHET_SOURCE_PATH");
  });
});

describe("formatAnswer", () => {
  const base: AskResponse = {
    answer: "Réponse. [1]",
    actions: [],
    cache: "bypass",
    citations: [{ n: 1, id: "F1", title: "Titre", url: "https://www.service-public.fr/particuliers/vosdroits/F1", date: "2024-01-02", snippet: "s" }],
    language: "fr",
    blocked: false,
    redacted: [],
    found: true,
    degraded: [],
    sources: { name: "src", snapshot_date: "2024-02-03", licence: "Licence" },
    trace_id: "0".repeat(32),
    timings: {},
  };

  it("lists the sources then the data line", async () => {
    expect(formatAnswer(base)).toBe(
      [
        "Réponse. [1]",
        "",
        "Sources :",
        "  [1] Titre (F1, mise à jour 2024-01-02)",
        "      https://www.service-public.fr/particuliers/vosdroits/F1",
        "",
        "Données : src, état au 2024-02-03. Licence.",
      ].join("\n"),
    );
  });

  it("has no Sources section without citations", async () => {
    expect(formatAnswer({ ...base, answer: "Rien.", citations: [] })).toBe("Rien.\n\nDonnées : src, état au 2024-02-03. Licence.");
  });
});

describe("search", () => {
  it("--json --k 3 prints at most 3 ranked passages", async () => {
    const run = streams();
    expect(await searchMain(["--json", "--k", "3", "bonus", "malus"], run.io)).toBe(0);
    const results = JSON.parse(run.out()) as Array<Record<string, unknown>>;
    expect(results.length).toBeGreaterThan(0);
    expect(results.length).toBeLessThanOrEqual(3);
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(["chunk", "id", "score", "title", "url"]);
      expect(r.chunk).toMatch(new RegExp(`^${r.id as string}#\\d+$`));
      expect(r.url).toMatch(FICHE_URL);
      expect(typeof r.score).toBe("number");
      expect(Math.round((r.score as number) * 1e4) / 1e4).toBe(r.score);
    }
    expect(results[0]).toMatchObject({ id: "F2655", title: "Bonus-malus dans l'assurance automobile" });
    const scores = results.map((r) => r.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it("prints one aligned line per passage without --json", async () => {
    const run = streams();
    await searchMain(["--k", "2", "franchise"], run.io);
    const lines = run.out().trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ 1\. \d+\.\d{2} {2}F2706 {2}Franchise d'assurance automobile : comment ça marche \? {2}\(F2706#\d+\)$/);
    expect(lines[1]).toMatch(/^ 2\. /);
  });

  it("--stdin prints one JSON array per question", async () => {
    const run = streams("bonus malus\nfranchise\n");
    expect(await searchMain(["--stdin", "--k", "2"], run.io)).toBe(0);
    const lines = run.out().trimEnd().split("\n").map((l) => JSON.parse(l) as Array<{ id: string }>);
    expect(lines).toHaveLength(2);
    expect(lines[0]![0]!.id).toBe("F2655");
    expect(lines[1]![0]!.id).toBe("F2706");
    for (const results of lines) expect(results.length).toBeLessThanOrEqual(2);
  });

  it.each(["0", "101", "abc", "2.5"])("rejects --k %s", async (k) => {
    const run = streams();
    await expect(searchMain(["--k", k, "bonus"], run.io)).rejects.toMatchObject({ code: "commander.invalidArgument" });
    expect(run.err()).toContain("must be an integer from 1 to 100");
    expect(run.out()).toBe("");
  });

  it("exits with 2 and the usage when there is no question", async () => {
    const run = streams();
    expect(await searchMain(["--json"], run.io)).toBe(2);
    expect(run.err()).toBe('usage: npm run search -- [--json] [--k 10] "question"  (or --stdin)\n');
  });

  it("toSearchResults rounds scores to 4 decimals", async () => {
    const session = await openSession(env, () => {});
    const hits = session.capabilities.search.search("franchise", { k: 1 });
    const [result] = toSearchResults(hits.map((h) => ({ ...h, score: 1.234567 })));
    expect(result).toEqual({ id: hits[0]!.chunk.ficheId, chunk: hits[0]!.chunk.id, score: 1.2346, title: hits[0]!.chunk.title, url: hits[0]!.chunk.url });
  });
});

describe("session and io", () => {
  it("openSession answers with the configured run settings", async () => {
    const session = await openSession({ ...env, GUICHET_MAX_QUESTION_CHARS: "10" }, () => {});
    expect(session.config.maxQuestionLength).toBe(10);
    expect(session.capabilities.snapshot.fiches).toBe(12);
    expect((await session.ask("une question bien trop longue")).blocked).toEqual({ reason: "too_long" });
    expect((await session.ask("franchise", "en")).language).toBe("en");
  });

  it("readLines yields the non-empty lines; writeLine adds a newline", async () => {
    const input = new PassThrough();
    input.end("a\r\n\n  \nb\nc");
    const lines: string[] = [];
    for await (const line of readLines(input)) lines.push(line);
    expect(lines).toEqual(["a", "b", "c"]);
    const run = streams();
    await writeLine(run.io.stdout, "x");
    expect(run.out()).toBe("x\n");
  });

  it("processIo uses the process streams", async () => {
    const io = processIo();
    expect(io.stdout).toBe(process.stdout);
    expect(io.stderr).toBe(process.stderr);
    expect(io.stdin).toBe(process.stdin);
    expect(io.env).toBe(process.env);
  });

  it("runMain sets the exit code, and prints errors without a stack trace", async () => {
    const previous = process.exitCode;
    const write = jest.mocked(process.stderr.write);
    try {
      await runMain(async () => 3);
      expect(process.exitCode).toBe(3);
      write.mockClear();
      await runMain(async () => {
        throw new Error("boom");
      });
      expect(process.exitCode).toBe(1);
      expect(write.mock.calls.map((c) => String(c[0]))).toEqual(["error: boom\n"]);
    } finally {
      process.exitCode = previous;
    }
  });
});
