import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { cacheEvalMain } from "../evals/run-cache-eval.js";
import { cacheReplayMain } from "../evals/run-cache-replay.js";
import { FIXTURES_35, tempDir } from "./helpers/fixtures.js";

const dir = tempDir("guichet-eval-cache-");
const env = { GUICHET_SOURCE: "vdd-xml", GUICHET_SOURCE_PATH: FIXTURES_35, GUICHET_INDEX_DIR: join(dir, "index"), GUICHET_FREEDICT_DIR: "off", GUICHET_APERTIUM_DIR: "off" };

function io() {
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { io: { stdin: new PassThrough(), stdout: out, stderr: new PassThrough(), env }, text: () => text };
}

/** The first lines of a committed dataset, as a file of their own. */
function head(file: string, lines: number): string {
  const path = join(dir, file.split("/").at(-1)!);
  writeFileSync(path, readFileSync(file, "utf8").split("\n").slice(0, lines).join("\n") + "\n");
  return path;
}

describe("the cache evals on the 3.5 fixtures", () => {
  it("npm run eval:cache scores every similarity on the pairs and says which threshold is in use", async () => {
    const run = io();
    expect(await cacheEvalMain(["--held-out", head("evals/datasets/cache-pairs-fresh.jsonl", 40)], run.io)).toBe(0);
    expect(run.text()).toContain("threshold in use (tools/cache/settings.ts): 0.89");
    expect(run.text()).toMatch(/\| weighted Jaccard of IDF-weighted terms \+ discriminators \(used\) \| [01]\.\d{3} \|/);
    expect(run.text()).toContain("| weighted Jaccard alone |");
    expect(run.text()).toContain("Held-out near-misses served, by kind");
  });

  it("npm run eval:cache-replay replays each phrasing once and a Zipf day, with every request counted", async () => {
    const run = io();
    const code = await cacheReplayMain(
      ["--pairs", head("evals/datasets/cache-pairs-fresh.jsonl", 30), "--dataset", head("evals/datasets/test.jsonl", 10), "--requests", "60", "--show"],
      run.io,
    );
    expect(code).toBe(0);
    const rows = run.text().split("\n").filter((line) => /^\| (every|a day)/.test(line));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/^\| a day[^|]*\| 60 \|/);
  });
});
