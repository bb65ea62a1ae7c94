import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { calibrate, loadCalibration, type CalibrationPair } from "../evals/claims/calibration.js";
import { createChecker, judgeEnv } from "../evals/claims/checkers.js";
import { OfflineClaimChecker } from "../evals/claims/offline-checker.js";
import { loadReferences, supportProblems } from "../evals/claims/references.js";
import { checkQuestion, premiseText, scoreClaims, summarizeClaims, worstQuestions } from "../evals/claims/score.js";
import { splitClaims } from "../evals/claims/split.js";
import type { ClaimOutcome, EvalPassage } from "../evals/claims/types.js";
import { tempDir } from "./helpers/fixtures.js";

const passage = (id: string, text: string, retrieved = true): EvalPassage => ({ id, ficheId: id.split("#")[0]!, title: "Passeport", text, retrieved });

describe("splitClaims", () => {
  it("makes one claim per sentence and per list item, with the list's lead-in, without citations or action lines", () => {
    const answer =
      "À partir de 18 ans : Le passeport coûte 86 €. Il est valable 10 ans. [1]\n" +
      "Vous devez fournir les pièces suivantes :\n- une photo d'identité ;\n- un justificatif de domicile [2]\n\n" +
      "Démarches en ligne : Achat en ligne du timbre fiscal - Passeport.";
    expect(splitClaims(answer)).toEqual([
      "À partir de 18 ans : Le passeport coûte 86 €.",
      "Il est valable 10 ans.",
      "Vous devez fournir les pièces suivantes une photo d'identité",
      "Vous devez fournir les pièces suivantes un justificatif de domicile",
    ]);
  });

  it("keeps abbreviations inside their sentence, keeps a lead-in with no list, drops notices and punctuation-only lines", () => {
    expect(splitClaims("Écrivez à M. le maire. Voici la liste :")).toEqual(["Écrivez à M. le maire.", "Voici la liste"]);
    expect(splitClaims("Le délai est de 2 mois.\n\nPour protéger vos données, nous avons retiré de votre question : IBAN.")).toEqual(["Le délai est de 2 mois."]);
    expect(splitClaims("- …\n[1]")).toEqual([]);
  });
});

describe("OfflineClaimChecker", () => {
  const checker = new OfflineClaimChecker();
  const premise = "Le passeport d'un adulte coûte 86 €. Le délai de fabrication est de 2 mois avant le 1er juillet. Vous faites la demande en mairie, pas à la CAF.";

  it("needs every number with its unit, month, organisation and acronym of the claim in the premise", async () => {
    const verdicts = await checker.check(
      [
        "Un passeport pour adulte coûte 86 €.",
        "Un passeport pour adulte coûte 96 €.",
        "La fabrication prend deux mois.",
        "La fabrication prend 2 semaines.",
        "La demande se fait avant le 1er août.",
        "La demande de passeport se fait à la préfecture.",
        "La demande de passeport se fait auprès de l'ANTS.",
        "La demande de passeport se fait en mairie.",
      ],
      premise,
    );
    expect(verdicts).toEqual(["entailed", "not_entailed", "entailed", "not_entailed", "not_entailed", "not_entailed", "not_entailed", "entailed"]);
  });

  it("refuses a claim with too few of its content words in the premise, and checks negation when asked", async () => {
    expect(await checker.check(["Le renouvellement du permis de conduire est gratuit."], premise)).toEqual(["not_entailed"]);
    const strict = new OfflineClaimChecker({ lexicalThreshold: 0.5, checkNegation: true });
    expect(await strict.check(["La demande ne se fait pas en mairie.", "La demande se fait en mairie."], "La demande se fait en mairie.")).toEqual(["not_entailed", "entailed"]);
    expect(await checker.check(["!!!"], premise)).toEqual(["entailed"]);
    expect(await checker.claims("Une phrase. Une autre.")).toEqual(["Une phrase.", "Une autre."]);
  });
});

describe("scoreClaims (RAGChecker definitions)", () => {
  const passages = [passage("F1#0", "a"), passage("F1#1", "b"), passage("F1#2", "c", false)];
  const reference = [
    { text: "R0", inAnswer: true, inPassages: [0] },
    { text: "R1", inAnswer: false, inPassages: [2] },
    { text: "R2", inAnswer: false, inPassages: [] },
  ];
  const answer = [
    { text: "A0", inReference: true, inPassages: [0] },
    { text: "A1", inReference: false, inPassages: [1] },
    { text: "A2", inReference: false, inPassages: [] },
    { text: "A3", inReference: true, inPassages: [] },
  ];

  it("computes every metric from the verdicts (worked by hand)", () => {
    const s = scoreClaims(answer, reference, passages, true);
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBeCloseTo(1 / 3);
    expect(s.f1).toBeCloseTo(0.4);
    expect(s.claim_recall).toBeCloseTo(1 / 3); // R1 is only in the expanded passage: not retrieval's
    expect(s.context_precision).toBe(0.5); // of the two retrieved passages, only F1#0 holds a reference claim
    expect(s.faithfulness).toBe(0.5);
    expect(s.hallucination).toBe(0.25);
    expect(s.self_knowledge).toBe(0.25);
    expect(s.context_utilization).toBe(0.5);
    expect(s.noise_sensitivity_relevant).toBe(0);
    expect(s.noise_sensitivity_irrelevant).toBe(0.25);
  });

  it("gives a declined question recall and F1 0 and leaves the per-claim ratios undefined", () => {
    const s = scoreClaims([], reference.map((r) => ({ ...r, inAnswer: false })), passages, false);
    expect(s).toMatchObject({ precision: null, recall: 0, f1: 0, faithfulness: null, hallucination: null, claim_recall: 1 / 3 });
    expect(scoreClaims([], [], [], true)).toMatchObject({ recall: null, f1: null, context_precision: null, context_utilization: null });
  });
});

describe("checkQuestion, summaries, worst questions", () => {
  const input = {
    id: "q1",
    question: "Combien coûte un passeport ?",
    style: "citizen",
    lang: "fr",
    questionClass: "amount",
    answered: true,
    answer: "Le passeport d'un adulte coûte 86 €. [1]\nIl est livré en mairie.",
    reference: "Un passeport pour un adulte coûte 86 €.",
    passages: [passage("F34752#0", "Le passeport coûte 86 € pour un adulte."), passage("F1#3", "La carte grise coûte 13,76 €.")],
  };

  it("checks the answer against the reference and the passages, and the reference against the answer", async () => {
    const outcome = await checkQuestion(input, new OfflineClaimChecker());
    expect(outcome.answerClaims).toEqual([
      { text: "Le passeport d'un adulte coûte 86 €.", inReference: true, inPassages: [0] },
      { text: "Il est livré en mairie.", inReference: false, inPassages: [] },
    ]);
    expect(outcome.referenceClaims).toEqual([{ text: "Un passeport pour un adulte coûte 86 €.", inAnswer: true, inPassages: [0] }]);
    expect(outcome.scores).toMatchObject({ precision: 0.5, recall: 1, faithfulness: 0.5, hallucination: 0.5, context_precision: 0.5 });
    expect(premiseText({ ...input.passages[0]!, path: ["Adulte"] })).toBe("Passeport > Adulte\nLe passeport coûte 86 € pour un adulte.");
  });

  it("averages each metric where defined and sorts the worst first", async () => {
    const good = await checkQuestion(input, new OfflineClaimChecker());
    const declined: ClaimOutcome = await checkQuestion({ ...input, id: "q0", answered: false, answer: "" }, new OfflineClaimChecker());
    const summary = summarizeClaims([good, declined]);
    expect(summary.n).toBe(2);
    expect(summary.precision).toBe(0.5); // the declined question has no precision
    expect(summary.recall).toBe(0.5);
    expect(summarizeClaims([]).f1).toBeNull();
    expect(worstQuestions([good, declined]).map((o) => o.id)).toEqual(["q0", "q1"]);
    expect(worstQuestions([good, declined], 1)).toHaveLength(1);
  });
});

describe("reference answers and calibration pairs", () => {
  const dir = tempDir("guichet-claims-");
  const write = (name: string, lines: unknown[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
    return file;
  };
  const ref = { id: "test-1", split: "test", reference: "Le passeport coûte 86 €.", support: [{ chunk: "F34752#0", text: "coûte  86 €" }] };

  it("loads references and says which do not match the index", () => {
    const refs = loadReferences(write("refs.jsonl", [ref, "", { ...ref, id: "test-2", support: [{ chunk: "F9#1", text: "x" }] }]));
    expect(refs.size).toBe(2);
    const chunks: Record<string, string> = { "F34752#0": "Le passeport coûte 86 €.", "F9#1": "y" };
    const gold: Record<string, string[]> = { "test-1": ["F34752"], "test-2": ["F9"] };
    expect(supportProblems(refs.values(), (id) => gold[id], (c) => chunks[c])).toEqual(["test-2: the support text is not in chunk F9#1"]);
    expect(supportProblems([{ ...ref, id: "nope" }, { ...ref, support: [{ chunk: "F1#1", text: "a" }] }, { ...ref, support: [{ chunk: "F34752#9", text: "a" }] }], (id) => gold[id], (c) => chunks[c] ?? (c === "F1#1" ? "a" : undefined))).toEqual([
      "nope: no such question in the test split",
      "test-1: chunk F1#1 is not of a gold fiche (F34752)",
      "test-1: chunk F34752#9 is not in the index",
    ]);
  });

  it("rejects bad reference lines with their line number", () => {
    expect(() => loadReferences(write("bad1.jsonl", ["{"]))).toThrow(/bad1.jsonl:1: invalid JSON/);
    expect(() => loadReferences(write("bad2.jsonl", [ref, ref]))).toThrow(/bad2.jsonl:2: duplicate id test-1/);
    expect(() => loadReferences(write("bad3.jsonl", [{ ...ref, support: [{ chunk: "F1", text: "a" }] }]))).toThrow(/support.0.chunk: must be a chunk id/);
  });

  it("measures a checker's agreement with the hand labels: accuracy, kappa, per split and kind", async () => {
    const pairs: CalibrationPair[] = [
      { id: "c1", split: "dev", chunk: "F1#0", passage: "Le passeport coûte 86 €.", claim: "Le passeport coûte 86 €.", entailed: true, kind: "verbatim" },
      { id: "c2", split: "dev", chunk: "F1#0", passage: "Le passeport coûte 86 €.", claim: "Le passeport coûte 96 €.", entailed: false, kind: "wrong_number" },
      { id: "c3", split: "test", chunk: "F2#0", passage: "La demande se fait en mairie.", claim: "On s'adresse à la commune pour demander.", entailed: true, kind: "paraphrase" },
      { id: "c4", split: "test", chunk: "F2#0", passage: "La demande se fait en mairie.", claim: "La demande se fait en mairie ou en ligne.", entailed: false, kind: "unsupported" },
    ];
    const result = await calibrate(new OfflineClaimChecker(), pairs);
    expect(result.checker).toBe("offline");
    expect(result.by_split.dev).toMatchObject({ n: 2, entailed: 1, accuracy: 1, kappa: 1 });
    expect(result.by_kind.paraphrase).toEqual({ n: 1, accuracy: 0 });
    expect(result.all.n).toBe(4);
    expect(result.all.recall_entailed).toBe(0.5);
    const file = write("pairs.jsonl", [...pairs, ""]);
    expect(loadCalibration(file)).toHaveLength(4);
    expect(() => loadCalibration(write("badpairs.jsonl", ["{}"]))).toThrow(/badpairs.jsonl:1: id/);
    expect(() => loadCalibration(write("badjson.jsonl", ["nope"]))).toThrow(/badjson.jsonl:1: invalid JSON/);
  });

  it("chooses the checker: offline, the judge with a key, auto falling back to offline", () => {
    expect(createChecker("offline", {}).name).toBe("offline");
    expect(createChecker("auto", {}).name).toBe("offline");
    expect(() => createChecker("llm", {})).toThrow(/GUICHET_JUDGE_API_KEY or OPENAI_API_KEY/);
    expect(createChecker("llm", { GUICHET_JUDGE_API_KEY: "sk-test", OPENAI_MODEL: "m", GUICHET_MODEL_JUDGE: "judge-model" }).name).toBe("llm:judge-model");
    expect(judgeEnv({ OPENAI_API_KEY: "a", GUICHET_JUDGE_BASE_URL: "http://judge" })).toMatchObject({ OPENAI_API_KEY: "a", OPENAI_BASE_URL: "http://judge" });
  });
});
