import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { costMain } from "../cli/cost.js";
import type { UsageEntry } from "../tools/finops/usage-entry.js";
import { memoryIo } from "./helpers/io.js";

const NOW = new Date("2024-05-03T12:00:00.000Z");
let dir: string;

function call(time: string, key: string, model: string, node: string, input: number, output: number, cost: number): UsageEntry {
  return { time, key, model, node, input_tokens: input, output_tokens: output, cost, cached: false, estimated: false };
}

function cached(time: string, key: string): UsageEntry {
  return { time, key, model: "-", node: "cache", input_tokens: 0, output_tokens: 0, cost: 0, cached: true, estimated: false };
}

const jsonl = (entries: UsageEntry[], extra: string[] = []) => [...entries.map((e) => JSON.stringify(e)), ...extra].join("\n") + "\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "guichet-cost-"));
  // Costs at the default gpt-4o-mini (0.00015 / 0.0006 per 1k) and gpt-4o (0.0025 / 0.01 per 1k) prices.
  writeFileSync(join(dir, "usage-2024-04-20.jsonl"), jsonl([call("2024-04-20T10:00:00.000Z", "caf", "gpt-4o", "answer", 100_000, 75_000, 1)]));
  writeFileSync(
    join(dir, "usage-2024-05-01.jsonl"),
    jsonl([
      call("2024-05-01T10:00:00.000Z", "caf", "gpt-4o-mini", "answer", 1000, 200, 0.00027),
      call("2024-05-01T10:00:00.000Z", "caf", "gpt-4o-mini", "plan", 500, 50, 0.000105),
      call("2024-05-01T11:00:00.000Z", "mairie", "gpt-4o", "answer", 2000, 300, 0.008),
    ]),
  );
  writeFileSync(
    join(dir, "usage-2024-05-02.jsonl"),
    jsonl(
      [
        call("2024-05-02T09:00:00.000Z", "caf", "gpt-4o", "answer", 1000, 100, 0.0035),
        cached("2024-05-02T09:30:00.000Z", "caf"),
        call("2024-05-02T10:00:00.000Z", "mairie", "gpt-4o-mini", "answer", 4000, 1000, 0.0012),
      ],
      ['{"time":"2024-05-02T10:00:01.000Z","key":"caf"'],
    ),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const io = memoryIo(env);
  const code = await costMain(argv, io, () => NOW);
  return { code, out: io.out(), err: io.err() };
}

const TOTAL = { calls: 5, cached: 1, input_tokens: 8500, output_tokens: 1650, cost: 0.013075 };

describe("npm run cost", () => {
  it("sums per key and model in JSON, leaving out what is before the window and the unreadable line", async () => {
    const { code, out, err } = await run(["--since", "2024-05-01", "--dir", dir, "--json"]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(out)).toEqual({
      since: "2024-05-01T00:00:00.000Z",
      until: "2024-05-03T12:00:00.000Z",
      by: ["key", "model"],
      rows: [
        { key: "caf", model: "-", calls: 0, cached: 1, input_tokens: 0, output_tokens: 0, cost: 0 },
        { key: "caf", model: "gpt-4o", calls: 1, cached: 0, input_tokens: 1000, output_tokens: 100, cost: 0.0035 },
        { key: "caf", model: "gpt-4o-mini", calls: 2, cached: 0, input_tokens: 1500, output_tokens: 250, cost: 0.000375 },
        { key: "mairie", model: "gpt-4o", calls: 1, cached: 0, input_tokens: 2000, output_tokens: 300, cost: 0.008 },
        { key: "mairie", model: "gpt-4o-mini", calls: 1, cached: 0, input_tokens: 4000, output_tokens: 1000, cost: 0.0012 },
      ],
      total: TOTAL,
      skipped: 1,
    });
  });

  it("prints a table with the window, the currency note, one row per group and the total", async () => {
    const { code, out } = await run(["--since", "2024-05-01T00:00:00Z", "--dir", dir]);
    expect(code).toBe(0);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe(
      `Usage from 2024-05-01T00:00:00.000Z to 2024-05-03T12:00:00.000Z in ${dir}; ` +
        "cost in the price table's currency (GUICHET_LLM_PRICES, USD by default) (1 unreadable line skipped)",
    );
    expect(lines[1]!.split(/\s+/)).toEqual(["key", "model", "calls", "cached", "input", "tokens", "output", "tokens", "cost"]);
    const cells = lines.slice(2).filter((l) => !/^-+/.test(l)).map((l) => l.trim().split(/\s+/));
    expect(cells).toEqual([
      ["caf", "-", "0", "1", "0", "0", "0.000000"],
      ["caf", "gpt-4o", "1", "0", "1000", "100", "0.003500"],
      ["caf", "gpt-4o-mini", "2", "0", "1500", "250", "0.000375"],
      ["mairie", "gpt-4o", "1", "0", "2000", "300", "0.008000"],
      ["mairie", "gpt-4o-mini", "1", "0", "4000", "1000", "0.001200"],
      ["total", "5", "1", "8500", "1650", "0.013075"],
    ]);
    // Numbers are right-aligned under their header.
    const costColumn = lines[1]!.length;
    for (const line of lines.slice(2)) expect(line.length).toBe(costColumn);
  });

  it("groups per day", async () => {
    const { code, out } = await run(["--since", "2024-05-01", "--by", "day", "--dir", dir, "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(out) as { rows: unknown[]; total: unknown };
    expect(report.rows).toEqual([
      { day: "2024-05-01", calls: 3, cached: 0, input_tokens: 3500, output_tokens: 550, cost: 0.008375 },
      { day: "2024-05-02", calls: 2, cached: 1, input_tokens: 5000, output_tokens: 1100, cost: 0.0047 },
    ]);
    expect(report.total).toEqual(TOTAL);
    const table = await run(["--since", "2024-05-01", "--by", "day,node", "--dir", dir]);
    expect(table.out).toMatch(/^2024-05-01 {2}plan {3}\s+1\s+0\s+500\s+50\s+0\.000105$/m);
  });

  it("reads relative windows back from now, and the directory from GUICHET_USAGE_LOG_DIR", async () => {
    const week = JSON.parse((await run(["--since", "7d", "--json"], { GUICHET_USAGE_LOG_DIR: dir })).out) as { since: string; total: unknown };
    expect(week.since).toBe("2024-04-26T12:00:00.000Z");
    expect(week.total).toEqual(TOTAL);
    const fortnight = JSON.parse((await run(["--since", "2w", "--dir", dir, "--json"])).out) as { total: { cost: number; calls: number } };
    expect(fortnight.total).toMatchObject({ calls: 6, cost: 1.013075 });
    const day = JSON.parse((await run(["--dir", dir, "--json"])).out) as { since: string; total: { calls: number } };
    expect(day.since).toBe("2024-05-02T12:00:00.000Z");
    expect(day.total.calls).toBe(0);
  });

  it("says so when nothing was recorded in the window or the directory is missing", async () => {
    expect(await run(["--since", "30m", "--dir", dir])).toEqual({
      code: 0,
      out: `no usage recorded since 2024-05-03T11:30:00.000Z in ${dir}\n`,
      err: "",
    });
    const missing = join(dir, "nowhere");
    expect(await run(["--since", "12h"], { GUICHET_USAGE_LOG_DIR: missing })).toEqual({
      code: 0,
      out: `no usage recorded since 2024-05-03T00:00:00.000Z in ${missing}\n`,
      err: "",
    });
  });

  it.each([
    [["--by", "key,colour"], /unknown dimension "colour"; use key, model, node, day/],
    [["--by", ","], /needs at least one of key, model, node, day/],
    [["--since", "yesterday"], /"yesterday" is neither a duration \(30m, 12h, 7d, 2w\) nor an ISO date/],
    [["--since", "0d"], /the duration must be more than 0/],
    [["--since", "2024-13-45"], /neither a duration/],
    [["--colour"], /unknown option '--colour'/],
  ])("refuses %j with exit code 2", async (argv, message) => {
    const { code, out, err } = await run([...argv, "--dir", dir]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(out).toBe("");
  });

  it("refuses a usage log turned off, unless --dir names one", async () => {
    const off = await run([], { GUICHET_USAGE_LOG_DIR: "off" });
    expect(off.code).toBe(2);
    expect(off.err).toMatch(/the usage log is off/);
    expect((await run(["--since", "2024-05-01", "--dir", dir, "--json"], { GUICHET_USAGE_LOG_DIR: "off" })).code).toBe(0);
  });

  it("runs as the npm script does", async () => {
    const { stdout } = await promisify(execFile)("node_modules/.bin/tsx", ["cli/cost.ts", "--since", "2024-05-01", "--dir", dir, "--by", "key"]);
    expect(stdout).toMatch(/^total\s+5\s+1\s+8500\s+1650\s+0\.013075$/m);
  });
});
