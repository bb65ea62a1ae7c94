import { jest } from "@jest/globals";
import { Retriever } from "../tools/search/retriever.js";
import type { Chunk } from "../corpus/chunk.js";
import { capabilitiesOf, type Capabilities } from "../graphs/capabilities.js";
import { contextOf, DEFAULT_CONFIGURATION, ensureConfiguration } from "../graphs/configuration.js";
import { buildGraph, graph as exportedGraph, routeAfterGuard } from "../graphs/guichet.js";
import { LICENCE, runGuichet, type AskResponse } from "../graphs/run.js";
import type { GuichetStateType } from "../graphs/state.js";
import { checkQuestion, guard } from "../nodes/guard.js";
import { refuse } from "../nodes/refuse.js";
import { translate } from "../nodes/translate.js";
import { translationNotice } from "../tools/lang/notices.js";
import { ExtractiveAnswerer, NOT_FOUND_ANSWER } from "../tools/answer/extractive.js";
import { SearchIndex } from "../tools/search/search-index.js";
import { subsetCapabilities } from "./helpers/fixtures.js";

const graph = buildGraph();
let caps: Capabilities;
beforeAll(async () => {
  caps = subsetCapabilities();
});

const RESPONSE_KEYS = ["actions", "answer", "blocked", "cache", "citations", "degraded", "found", "language", "redacted", "sources", "timings", "trace_id"];
const MESSAGES = {
  empty: "Veuillez poser une question (le texte reçu est vide).",
  too_long: "Votre question est trop longue. Merci de la reformuler plus brièvement.",
  control_characters: "Votre question contient des caractères non autorisés. Merci de la reformuler.",
} as const;

/** Small capabilities over hand-made chunks, with a spy on the search. */
function spiedCapabilities() {
  const chunks: Chunk[] = ["F1", "F2", "F3"].map((id, i) => ({
    id: `${id}#0`,
    ficheId: id,
    title: `Carte Vitale ${i}`,
    path: [],
    breadcrumb: `Carte Vitale ${i}`,
    text: `La carte Vitale numéro ${i} est perdue ou volée.`,
    url: `https://www.service-public.fr/particuliers/vosdroits/${id}`,
    audience: "Particuliers",
    theme: "Santé",
    date: "2024-01-01",
    source: "test",
  }));
  const search = new Retriever(SearchIndex.build(chunks));
  const spy = jest.spyOn(search, "searchAsync");
  const capabilities: Capabilities = {
    search,
    answerer: new ExtractiveAnswerer(),
    snapshot: { source: "test-source", date: "2024-01-01", fiches: 3 },
  };
  return { capabilities, spy };
}

function state(overrides: Partial<GuichetStateType> = {}): GuichetStateType {
  return {
    question: "q",
    requestedLanguage: undefined,
    normalizedQuestion: "",
    language: "fr",
    questionLanguage: "fr",
    questionTranslation: "none",
    questionClass: null,
    distress: false,
    subQuestions: [],
    parts: [],
    refusal: null,
    redacted: [],
    passages: [],
    reply: null,
    cacheOutcome: { status: "bypass" },
    turns: [],
    understoodAs: "",
    owner: undefined,
    draft: null,
    usage: [],
    timings: {},
    degradations: [],
    ...overrides,
  };
}

function expectShape(response: AskResponse): void {
  expect(Object.keys(response).sort()).toEqual(RESPONSE_KEYS);
  expect(response.trace_id).toMatch(/^[0-9a-f]{32}$/);
  for (const ms of Object.values(response.timings)) {
    expect(typeof ms).toBe("number");
    expect(ms).toBeGreaterThanOrEqual(0);
  }
}

describe("runGuichet: answered questions", () => {
  it("runs guard, understand, retrieve and answer (no translate step for French) and returns the public response", async () => {
    const response = await runGuichet(graph, { question: "Comment obtenir une carte Vitale ?" }, { capabilities: caps });
    expectShape(response);
    expect(Object.keys(response.timings)).toEqual(["guard", "cache", "understand", "retrieve", "answer", "total"]);
    const nodes = response.timings.guard! + response.timings.retrieve! + response.timings.answer!;
    expect(response.timings.total).toBeGreaterThanOrEqual(nodes * 0.99);
    expect(response).toMatchObject({ language: "fr", blocked: false, found: true, degraded: [] });
    expect(response.citations[0]).toMatchObject({ n: 1, id: "F265" });
    expect(response.answer).toMatch(/\[1\](?:\n\nDémarches en ligne : [^\n]+\.)?$/);
    expect(response.sources).toEqual({
      name: caps.snapshot.source,
      snapshot_date: caps.snapshot.date,
      licence: LICENCE,
    });
    expect(LICENCE).toBe("Licence Ouverte 2.0 (DILA, service-public.fr)");
  });

  it("answers the passport price question with 86 € from F34752", async () => {
    const response = await runGuichet(graph, { question: "Quel est le prix d'un passeport ?" }, { capabilities: caps });
    expect(response.answer).toContain("86 €");
    expect(response.citations[0]).toMatchObject({ n: 1, id: "F34752" });
  });

  it("gives a fresh trace id per run when tracing is off", async () => {
    const a = await runGuichet(graph, { question: "carte Vitale" }, { capabilities: caps });
    const b = await runGuichet(graph, { question: "carte Vitale" }, { capabilities: caps });
    expect(a.trace_id).not.toBe(b.trace_id);
  });

  it("goes through retrieval and declines a question the fiches do not cover", async () => {
    const response = await runGuichet(graph, { question: "recette de la tarte aux pommes" }, { capabilities: caps });
    expect(response).toMatchObject({ answer: NOT_FOUND_ANSWER, citations: [], found: false, blocked: false, degraded: [] });
    expect(Object.keys(response.timings)).toContain("retrieve");
  });

  it("searches the normalised question with the configured top-k and per-fiche limit", async () => {
    const { capabilities, spy } = spiedCapabilities();
    await runGuichet(
      graph,
      { question: "  Carte\tVitale\n\n perdue  " },
      { capabilities, configuration: { topK: 3, maxPerFiche: 1 } },
    );
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledWith("Carte Vitale perdue", expect.objectContaining({ k: 3, maxPerFiche: 1 }));
  });

  it("uses the default configuration when none is given", async () => {
    const { capabilities, spy } = spiedCapabilities();
    await runGuichet(graph, { question: "carte Vitale" }, { capabilities });
    expect(spy).toHaveBeenCalledWith("carte Vitale", expect.objectContaining({ k: 10, maxPerFiche: 2 }));
  });

  it("normalises the question to NFC before searching", async () => {
    const { capabilities, spy } = spiedCapabilities();
    await runGuichet(graph, { question: "carte Vitale perdue, re\u0301sume\u0301" }, { capabilities });
    expect(spy.mock.calls[0]![0]).toBe("carte Vitale perdue, résumé");
  });

  it("accepts a thread id", async () => {
    const response = await runGuichet(graph, { question: "carte Vitale", threadId: "t-1" }, { capabilities: caps });
    expect(response.found).toBe(true);
  });

  it("rejects when the run is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runGuichet(graph, { question: "carte Vitale" }, { capabilities: caps, signal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe("runGuichet: refused questions", () => {
  it.each([
    ["empty", "", "empty"],
    ["whitespace only", " \n\t  ", "empty"],
    ["501 characters", "a".repeat(501), "too_long"],
    ["a bell character", "passeport\u0007", "control_characters"],
    ["a NUL character", "carte\u0000Vitale", "control_characters"],
    ["a C1 control", "carte Vitale\u0085", "control_characters"],
    ["a DEL", "carte Vitale\u007f", "control_characters"],
  ] as const)("refuses %s without retrieving", async (_name, question, reason) => {
    const { capabilities, spy } = spiedCapabilities();
    const response = await runGuichet(graph, { question }, { capabilities });
    expectShape(response);
    expect(response).toMatchObject({
      blocked: { reason },
      answer: MESSAGES[reason],
      citations: [],
      found: false,
      language: "fr",
      degraded: [],
    });
    expect(Object.keys(response.timings)).toEqual(["guard", "refuse", "total"]);
    expect(spy).not.toHaveBeenCalled();
  });

  it("accepts exactly 500 characters, counted in code points", async () => {
    const { capabilities, spy } = spiedCapabilities();
    expect((await runGuichet(graph, { question: "a".repeat(500) }, { capabilities })).blocked).toBe(false);
    // 500 emoji are 1000 UTF-16 units but 500 characters.
    expect((await runGuichet(graph, { question: "😀".repeat(500) }, { capabilities })).blocked).toBe(false);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  // BUG, fails until fixed (nodes/guard.ts:11, checkQuestion; same in server/schemas.ts:10): the length
  // is counted before NFC normalisation, so 300 "é" typed in decomposed form (e + U+0301, as macOS
  // input often is) count as 600 characters and are refused as too long.
  it("counts the length after Unicode normalisation", async () => {
    const { capabilities } = spiedCapabilities();
    const question = "é".normalize("NFD").repeat(300);
    expect([...question]).toHaveLength(600);
    expect((await runGuichet(graph, { question }, { capabilities })).blocked).toBe(false);
  });

  it("follows the configured maximum length", async () => {
    const { capabilities } = spiedCapabilities();
    const response = await runGuichet(graph, { question: "carte Vitale" }, { capabilities, configuration: { maxQuestionLength: 5 } });
    expect(response.blocked).toEqual({ reason: "too_long" });
  });

  it("keeps tab, line feed and carriage return", async () => {
    const response = await runGuichet(graph, { question: "carte\tVitale\r\nperdue" }, { capabilities: caps });
    expect(response.blocked).toBe(false);
  });

  it("keeps the requested language on a refusal, without a translation degradation", async () => {
    const response = await runGuichet(graph, { question: "   ", language: "en" }, { capabilities: caps });
    expect(response).toMatchObject({ blocked: { reason: "empty" }, language: "en", degraded: [] });
  });
});

describe("runGuichet: languages", () => {
  it("replies in French and flags translation_unavailable when English is asked", async () => {
    const fr = await runGuichet(graph, { question: "Comment obtenir une carte Vitale ?" }, { capabilities: caps });
    const en = await runGuichet(graph, { question: "Comment obtenir une carte Vitale ?", language: "en" }, { capabilities: caps });
    expect(en.language).toBe("en");
    expect(en.degraded).toEqual(["translation_unavailable"]);
    // The French answer comes after a notice, in English, that automatic translation is not configured.
    expect(en.answer).toBe(`${translationNotice("en")}\n\n${fr.answer}`);
    expect(en.citations).toEqual(fr.citations);
  });

  it("lower-cases the language code", async () => {
    const response = await runGuichet(graph, { question: "carte Vitale", language: "EN" }, { capabilities: caps });
    expect(response.language).toBe("en");
  });

  it("treats an explicit 'fr' like no language", async () => {
    const response = await runGuichet(graph, { question: "carte Vitale", language: "fr" }, { capabilities: caps });
    expect(response).toMatchObject({ language: "fr", degraded: [] });
  });

  // BUG, fails until fixed (nodes/guard.ts:18 + nodes/translate.ts:9): a regional French tag such as "fr-FR"
  // (accepted by the HTTP schema) becomes language "fr-fr" and the French reply is flagged
  // "translation_unavailable".
  it("treats a regional French tag (fr-FR) as French: no translation degradation", async () => {
    const response = await runGuichet(graph, { question: "carte Vitale", language: "fr-FR" }, { capabilities: caps });
    expect(response.degraded).toEqual([]);
  });
});

describe("graph structure and routing", () => {
  it("routes refused questions to refuse and the others to retrieve", async () => {
    expect(routeAfterGuard(state({ refusal: { reason: "empty" } }))).toBe("refuse");
    expect(routeAfterGuard(state({ refusal: { reason: "control_characters" } }))).toBe("refuse");
    expect(routeAfterGuard(state({ refusal: null }))).toBe("retrieve");
  });

  it("exports a compiled graph named guichet with the five nodes", async () => {
    for (const g of [graph, exportedGraph]) {
      expect(g.name).toBe("guichet");
      expect(Object.keys(g.nodes)).toEqual(expect.arrayContaining(["guard", "refuse", "retrieve", "answer", "translate"]));
    }
  });

  it("returns only the output channels from a direct invoke", async () => {
    const out = await graph.invoke({ question: "carte Vitale" }, { context: { capabilities: caps } });
    expect(Object.keys(out).sort()).toEqual(["cacheOutcome", "degradations", "distress", "language", "passages", "question", "questionClass", "redacted", "refusal", "reply", "timings", "understoodAs"]);
    expect(out.passages.length).toBeGreaterThan(0);
    expect(out.passages.length).toBeLessThanOrEqual(DEFAULT_CONFIGURATION.topK);
    expect(out.passages.map((p) => p.rank)).toEqual(out.passages.map((_, i) => i + 1));
    const perFiche = new Map<string, number>();
    for (const p of out.passages) perFiche.set(p.chunk.ficheId, (perFiche.get(p.chunk.ficheId) ?? 0) + 1);
    expect(Math.max(...perFiche.values())).toBeLessThanOrEqual(DEFAULT_CONFIGURATION.maxPerFiche);
  });
});

describe("configuration", () => {
  it("has the documented defaults", async () => {
    expect(DEFAULT_CONFIGURATION).toEqual({ topK: 10, maxPerFiche: 2, maxQuestionLength: 500 });
    expect(ensureConfiguration()).toEqual(DEFAULT_CONFIGURATION);
    expect(ensureConfiguration({})).toEqual(DEFAULT_CONFIGURATION);
    expect(ensureConfiguration({ context: {} })).toEqual(DEFAULT_CONFIGURATION);
  });

  it("takes values from the context, and configurable values over context values", async () => {
    expect(ensureConfiguration({ context: { configuration: { topK: 3 } } })).toEqual({ topK: 3, maxPerFiche: 2, maxQuestionLength: 500 });
    expect(
      ensureConfiguration({
        context: { configuration: { topK: 3, maxPerFiche: 4 } },
        configurable: { topK: 7, maxQuestionLength: 50, thread_id: "x" },
      }),
    ).toEqual({ topK: 7, maxPerFiche: 4, maxQuestionLength: 50 });
  });

  it("contextOf returns the given context, or an empty one", async () => {
    expect(contextOf()).toEqual({});
    expect(contextOf({ context: { capabilities: caps } }).capabilities).toBe(caps);
  });

  it("capabilitiesOf returns the capabilities of the context", async () => {
    expect(await capabilitiesOf({ context: { capabilities: caps } })).toBe(caps);
  });
});

describe("nodes", () => {
  it("checkQuestion names the first problem", async () => {
    expect(checkQuestion(undefined, 10)).toBe("empty");
    expect(checkQuestion(42, 10)).toBe("empty");
    expect(checkQuestion("", 10)).toBe("empty");
    expect(checkQuestion("\u00a0\u2003", 10)).toBe("empty");
    expect(checkQuestion("a".repeat(11), 10)).toBe("too_long");
    expect(checkQuestion("a".repeat(10), 10)).toBeUndefined();
    // Too long wins over control characters.
    expect(checkQuestion("\u0007".repeat(11), 10)).toBe("too_long");
    expect(checkQuestion("a\u001fb", 10)).toBe("control_characters");
    expect(checkQuestion("a\u009fb", 10)).toBe("control_characters");
    expect(checkQuestion("a\u00a0b", 10)).toBeUndefined();
    expect(checkQuestion("a\tb\nc\rd", 10)).toBeUndefined();
  });

  it("guard folds whitespace and keeps the requested language", async () => {
    expect(await guard(state({ question: "  a \n b  ", requestedLanguage: "DE" }), {})).toEqual({
      refusal: null,
      language: "de",
      question: "a b",
      normalizedQuestion: "a b",
      redacted: [],
      distress: false,
    });
    expect(await guard(state({ question: "", requestedLanguage: "" }), {})).toMatchObject({
      refusal: { reason: "empty" },
      language: "fr",
      question: "",
      redacted: [],
    });
  });

  it("refuse answers with the message of the reason, or the empty one by default", async () => {
    expect(await refuse(state({ refusal: { reason: "too_long" } }))).toEqual({
      reply: { answer: MESSAGES.too_long, citations: [], found: false, actions: [] },
    });
    expect(await refuse(state())).toEqual({ reply: { answer: MESSAGES.empty, citations: [], found: false, actions: [] } });
  });

  it("translate changes nothing for French or without a reply", async () => {
    const reply = { answer: "x", citations: [], found: true };
    expect(await translate(state({ language: "fr", reply }))).toEqual({});
    expect(await translate(state({ language: "en", reply: null }))).toEqual({});
    expect(await translate(state({ language: "en", reply }))).toEqual({
      reply: { ...reply, answer: `${translationNotice("en")}\n\nx` },
      degradations: ["translation_unavailable"],
    });
  });
});
