import { join } from "node:path";
import { abOnlineMain } from "../evals/run-ab-online.js";
import { formatOnlineReport, onlineReport } from "../evals/online-ab.js";
import { bootstrapDifference, median, percentile, twoProportionP } from "../evals/stats.js";
import { SqliteFeedbackStore } from "../tools/feedback/sqlite-store.js";
import type { RunOutcome } from "../tools/feedback/types.js";
import { tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

describe("online A/B statistics", () => {
  it("tests two proportions and bootstraps a difference of medians", () => {
    expect(twoProportionP(50, 100, 65, 100)).toBeCloseTo(0.0319, 3);
    expect(twoProportionP(5, 10, 5, 10)).toBeCloseTo(1, 6);
    expect(twoProportionP(0, 0, 1, 2)).toBe(1);
    expect(twoProportionP(0, 5, 0, 5)).toBe(1);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8);
    const d = bootstrapDifference([100, 110, 120, 130], [200, 210, 220, 230], median);
    expect(d.mean).toBe(100);
    expect(d.low).toBeGreaterThan(50);
    expect(() => bootstrapDifference([], [1], median)).toThrow(/empty/);
  });

  it("sums runs, latency and ratings per variant and compares each with the reference", () => {
    const outcomes: RunOutcome[] = [
      ...Array.from({ length: 40 }, (_, i): RunOutcome => ({ variant: "control", latencyMs: 100 + i, rating: i < 20 ? (i < 10 ? "up" : "down") : null })),
      ...Array.from({ length: 40 }, (_, i): RunOutcome => ({ variant: "fast", latencyMs: 50 + i, rating: i < 20 ? (i < 18 ? "up" : "down") : null })),
      { variant: null, latencyMs: 10, rating: null },
    ];
    const rows = onlineReport(outcomes);
    expect(rows.map((r) => r.variant)).toEqual(["control", "default", "fast"]);
    const control = rows[0]!;
    expect(control).toMatchObject({ runs: 40, rated: 20, up: 10, up_share: 0.5, p50_ms: 119.5 });
    expect(control.against).toBeUndefined();
    const fast = rows[2]!;
    expect(fast.against!.latency_p50_ms.mean).toBe(-50);
    expect(fast.against!.up_share_difference).toBe(0.4);
    expect(fast.against!.up_share_p).toBeLessThan(0.01);
    expect(rows[1]!.against!.up_share_difference).toBeNull();
    expect(onlineReport(outcomes, "fast")[0]!.against!.latency_p50_ms.mean).toBe(50);
    expect(formatOnlineReport(rows)).toMatch(/^fast\s+40\s+69\.5\s+\d+\.\d\s+20\s+0\.900\s+-50\.0\s+\[/m);
    expect(formatOnlineReport([])).toContain("no runs");
  });
});

describe("npm run ab:online on a SQLite run log", () => {
  it("reads the runs and ratings the server recorded", async () => {
    const file = join(tempDir("guichet-ab-online-"), "feedback.sqlite");
    const store = new SqliteFeedbackStore(file, 86_400_000);
    for (let i = 0; i < 6; i++) {
      const variant = i % 2 === 0 ? "control" : "rerank-fiche";
      const runId = `00000000-0000-4000-8000-00000000000${i}`;
      await store.recordRun({ runId, traceId: `t${i}`, caller: "key:alice", question: "q", language: "fr", passageIds: [], citedFiches: [], answer: "a", variant, latencyMs: 100 * (i + 1), createdAt: Date.now() });
      if (i < 4) await store.rate({ runId }, "key:alice", { rating: i === 1 ? "down" : "up" });
    }
    await store.close();
    const io = memoryIo({ GUICHET_FEEDBACK_SQLITE: file });
    expect(await abOnlineMain([], io)).toBe(0);
    expect(io.out()).toMatch(/^control\s+3\s+300\.0\s+/m);
    expect(io.out()).toMatch(/^rerank-fiche\s+3\s+400\.0\s+\d+\.\d\s+2\s+0\.500\s+100\.0/m);
    const json = memoryIo({ GUICHET_FEEDBACK_SQLITE: file });
    expect(await abOnlineMain(["--json", "--reference", "rerank-fiche"], json)).toBe(0);
    expect((JSON.parse(json.out()) as Array<{ variant: string; against?: unknown }>).find((r) => r.variant === "control")!.against).toBeDefined();
    await expect(abOnlineMain([], memoryIo({ GUICHET_FEEDBACK: "off" }))).rejects.toThrow(/GUICHET_FEEDBACK=off/);
  });
});
