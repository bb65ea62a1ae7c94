import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  benchModel,
  breakdownTable,
  llmBenchMain,
  measure,
  MULTI_PART_QUESTIONS,
  multiPartTable,
  overheadTable,
  sectionTitle,
  serveGuichet,
  simpleQuestions,
  writeSection,
} from "../bench/llm-bench.js";
import { PLAN_PROMPT } from "../tools/plan/llm-split.js";
import { mightBeMultiPart } from "../tools/plan/split.js";
import { tempDir } from "./helpers/fixtures.js";
import { chatReply, startScriptedOpenAI } from "./helpers/scripted-openai.js";

describe("bench:llm", () => {
  it("measures /invoke with the LLM path and splits model wait from Guichet's overhead", async () => {
    const scripted = await startScriptedOpenAI();
    scripted.chat = (body) => chatReply(body, "Le passeport coûte 86 € [1].", { prompt_tokens: 10, completion_tokens: 5 }, { delayMs: 60 });
    const guichet = await serveGuichet(scripted.url);
    try {
      const questions = simpleQuestions("evals/datasets/dev.jsonl");
      // Dev questions the rules see as possibly multi-part are left out: they would add a plan call.
      expect(questions.length).toBeGreaterThanOrEqual(3);
      expect(questions.some(mightBeMultiPart)).toBe(false);
      const samples = await measure(guichet.url, questions, 2, 6);
      expect(samples).toHaveLength(6);
      for (const s of samples) {
        expect(s.degraded).toBe(false);
        expect(s.modelMs).toBeGreaterThanOrEqual(55);
        expect(s.totalMs).toBeGreaterThan(s.modelMs);
      }
      const table = overheadTable([{ kind: "simple", concurrency: 2, samples }]);
      expect(table).toHaveLength(3);
      expect(table[2]).toMatch(/^\| simple \| 2 \| 6 \| /);
      // The parts of the overhead: nodes (model wait out), runtime between nodes, outside the graph.
      for (const s of samples) {
        expect(s.nodesMs).toBeGreaterThanOrEqual(s.modelMs);
        expect(s.graphMs).toBeGreaterThanOrEqual(s.nodesMs);
        expect(s.totalMs).toBeGreaterThan(s.graphMs);
      }
      const parts = breakdownTable([{ kind: "simple", concurrency: 2, samples }]);
      expect(parts).toHaveLength(3);
      expect(parts[2]).toMatch(/^\| simple \| 2 \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \|$/);
    } finally {
      await guichet.close();
      await scripted.close();
    }
  });

  it("runs end to end against a child server and writes its section", async () => {
    const out = join(tempDir(), "benchmarks.md");
    writeFileSync(out, "# Benchmarks\n");
    const stdout = new PassThrough();
    let printed = "";
    stdout.on("data", (c: Buffer) => (printed += c.toString()));
    const code = await llmBenchMain(["--requests", "8", "--delay", "20", "--out", out], {
      stdin: new PassThrough(),
      stdout,
      stderr: new PassThrough(),
      env: {},
    });
    expect(code).toBe(0);
    const written = readFileSync(out, "utf8");
    expect(written).toContain(`${sectionTitle()}\n`);
    expect(written).toContain(printed.trim());
    const rows = written.split("\n").filter((l) => /^\| simple.*\| (met|\*\*missed\*\*) \|$/.test(l));
    expect(rows).toHaveLength(4);
    // Where the overhead goes: one row per measured row (simple, multi-part, peer at 1 and 20 in flight).
    expect(written.split("\n").filter((l) => /^\| [^|]+ \| (1|20) \| [\d.]+ \/ [\d.]+ \|/.test(l))).toHaveLength(6);
    // No request degraded; the peer never waits on a model.
    for (const row of rows) expect(row.split(" | ")[9]).toBe("0");
    const multi = written.split("\n").filter((l) => /^\| multi-part \|.*\| (met|\*\*missed\*\*) \|$/.test(l));
    expect(multi).toHaveLength(2);
    for (const row of multi) expect(row.split(" | ")[9]).toBe("0");
    expect(written).toMatch(/\| 1 \| 1 → 2 \(\+1\) \|/);
    expect(written).toMatch(/\| 20 \| 1 → 2 \(\+1\) \|/);
    expect(rows[1]).toMatch(/^\| simple, peer: same server without LLM \(extractive\) \| 1 \| 10 \| [\d.]+ \| [\d.]+ \| 0\.0 \|/);
  }, 60_000);

  it("answers multi-part questions with one plan call and one answer call, each recorded in usage", async () => {
    const scripted = await startScriptedOpenAI();
    scripted.chat = benchModel(40);
    const guichet = await serveGuichet(scripted.url);
    try {
      const multi = await measure(guichet.url, MULTI_PART_QUESTIONS, 2, MULTI_PART_QUESTIONS.length);
      const simple = await measure(guichet.url, simpleQuestions("evals/datasets/dev.jsonl"), 2, 4);
      for (const s of multi) {
        expect(s).toMatchObject({ modelCalls: 2, degraded: false });
        // Both calls are timed as model wait, so the plan call is not charged to Guichet's overhead.
        expect(s.modelMs).toBeGreaterThanOrEqual(75);
      }
      for (const s of simple) expect(s).toMatchObject({ modelCalls: 1, degraded: false });
      const plans = scripted.requests.filter((r) => (r.body as { messages: Array<{ content: string }> }).messages[0]!.content === PLAN_PROMPT);
      expect(plans).toHaveLength(MULTI_PART_QUESTIONS.length);
    } finally {
      await guichet.close();
      await scripted.close();
    }
  });

  it("judges the multi-part target on model calls and the p50 difference against one round-trip", () => {
    const row = (kind: string, totalMs: number, modelCalls: number) => ({
      kind,
      concurrency: 1,
      samples: Array.from({ length: 10 }, () => ({ totalMs, modelMs: 300 * modelCalls, modelCalls, degraded: false, graphMs: totalMs - 1, nodesMs: totalMs - 2 })),
    });
    const [, , met] = multiPartTable([row("simple", 320, 1), row("multi-part", 630, 2)], 300);
    expect(met).toBe("| 1 | 1 → 2 (+1) | 320.0 → 630.0 (310.0) | 320.0 → 630.0 (310.0) | met |");
    expect(multiPartTable([row("simple", 320, 1), row("multi-part", 950, 3)], 300)[2]).toMatch(/\(\+2\) .*\*\*missed\*\* \|$/);
    expect(multiPartTable([row("simple", 320, 1), row("multi-part", 700, 2)], 300)[2]).toMatch(/\*\*missed\*\* \|$/);
  });

  it("computes the overhead per request and judges the target on its p95", () => {
    // 2 ms in the nodes, 5 in the runtime between them, the rest (3 to 22 ms) outside the graph.
    const samples = Array.from({ length: 20 }, (_, i) => ({
      totalMs: 310 + i,
      modelMs: 300,
      modelCalls: 1,
      degraded: i === 0,
      nodesMs: 302,
      graphMs: 307,
    }));
    const [, , row] = overheadTable([{ kind: "simple", concurrency: 1, samples, fixedDelayMs: 290 }]);
    expect(row).toBe("| simple | 1 | 20 | 319.0 | 328.0 | 300.0 | 19.0 | 28.0 | 38.0 | 1 | **missed** |");
    expect(breakdownTable([{ kind: "simple", concurrency: 1, samples }])[2]).toBe(
      "| simple | 1 | 19.0 / 28.0 | 2.0 / 2.0 | 5.0 / 5.0 | 12.0 / 21.0 |",
    );
    const fast = samples.map((s) => ({ ...s, totalMs: s.modelMs + 5 }));
    expect(overheadTable([{ kind: "simple", concurrency: 1, samples: fast }])[2]).toMatch(/\| met \|$/);
  });

  it("replaces its own section of the report and keeps the others, one section per major version of Node", () => {
    const SECTION_TITLE = sectionTitle("v20.20.2");
    expect(SECTION_TITLE).toBe("## LLM path overhead (issue 5), Node 20");
    const file = join(tempDir(), "benchmarks.md");
    writeFileSync(file, "# Benchmarks\n\n## Before\n\nkept\n");
    writeSection(file, `${SECTION_TITLE}\n\nfirst`, SECTION_TITLE);
    expect(readFileSync(file, "utf8")).toBe(`# Benchmarks\n\n## Before\n\nkept\n\n${SECTION_TITLE}\n\nfirst\n`);
    writeFileSync(file, `${readFileSync(file, "utf8")}\n## After\n\nalso kept\n`);
    writeSection(file, `${SECTION_TITLE}\n\nsecond`, SECTION_TITLE);
    expect(readFileSync(file, "utf8")).toBe(`# Benchmarks\n\n## Before\n\nkept\n\n${SECTION_TITLE}\n\nsecond\n\n## After\n\nalso kept\n`);
    // Node 24's section is added next to Node 20's (its title starts the same way but is another section).
    const node24 = sectionTitle("v24.21.0");
    writeSection(file, `${node24}\n\nthird`, node24);
    writeSection(file, `${SECTION_TITLE}\n\nfourth`, SECTION_TITLE);
    expect(readFileSync(file, "utf8")).toBe(
      `# Benchmarks\n\n## Before\n\nkept\n\n${SECTION_TITLE}\n\nfourth\n\n## After\n\nalso kept\n\n${node24}\n\nthird\n`,
    );
  });
});
