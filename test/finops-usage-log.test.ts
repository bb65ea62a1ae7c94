import { jest } from "@jest/globals";
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UsageRecord } from "../tools/llm/usage.js";
import { cachedRunEntry, usageEntries, type UsageEntry } from "../tools/finops/usage-entry.js";
import { UsageLog } from "../tools/finops/usage-log.js";
import { parseUsageLogConfig } from "../tools/finops/usage-log-config.js";
import { readUsage } from "../tools/finops/usage-reader.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "guichet-usage-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A clock the test moves by hand. */
function clock(iso: string) {
  let current = new Date(iso);
  return { now: () => current, set: (next: string) => (current = new Date(next)) };
}

function entry(time: string, overrides: Partial<UsageEntry> = {}): UsageEntry {
  return { time, key: "caf", model: "gpt-4o-mini", node: "answer", input_tokens: 100, output_tokens: 20, cost: 0.000027, cached: false, estimated: false, ...overrides };
}

const lines = (file: string) => readFileSync(join(dir, file), "utf8").split("\n").filter((l) => l !== "");

describe("usage log", () => {
  it("appends JSON lines to the day's file and reads them back", async () => {
    const time = clock("2024-05-10T10:00:00.000Z");
    const log = new UsageLog({ dir, now: time.now });
    const record: UsageRecord = { node: "answer", model: "gpt-4o-mini", input_tokens: 1000, output_tokens: 200, estimated: true, cost: 0.00027, priced: true, model_ms: 812 };
    const calls = usageEntries("portail-caf", [record, { ...record, node: "plan", input_tokens: 300, output_tokens: 40, cost: 0.000069 }], time.now());
    log.append(calls);
    log.append([cachedRunEntry("anonymous", time.now())]);
    await log.close();

    expect(readdirSync(dir)).toEqual(["usage-2024-05-10.jsonl"]);
    expect(lines("usage-2024-05-10.jsonl").map((l) => JSON.parse(l))).toEqual([
      { time: "2024-05-10T10:00:00.000Z", key: "portail-caf", model: "gpt-4o-mini", node: "answer", input_tokens: 1000, output_tokens: 200, cost: 0.00027, cached: false, estimated: true },
      { time: "2024-05-10T10:00:00.000Z", key: "portail-caf", model: "gpt-4o-mini", node: "plan", input_tokens: 300, output_tokens: 40, cost: 0.000069, cached: false, estimated: true },
      { time: "2024-05-10T10:00:00.000Z", key: "anonymous", model: "-", node: "cache", input_tokens: 0, output_tokens: 0, cost: 0, cached: true, estimated: false },
    ]);
    const read = await readUsage(dir, { since: new Date("2024-05-10T00:00:00Z") });
    expect(read).toEqual({ entries: [...calls, cachedRunEntry("anonymous", time.now())], skipped: 0 });
    expect((await readUsage(dir, { since: new Date("2024-05-10T10:00:00.001Z") })).entries).toEqual([]);
    // Appends after close are ignored, not thrown.
    log.append([entry("2024-05-10T11:00:00.000Z")]);
    expect(lines("usage-2024-05-10.jsonl")).toHaveLength(3);
  });

  it("starts a new file when the UTC day changes, and reads only the files of the window", async () => {
    const time = clock("2024-05-10T23:59:00.000Z");
    const log = new UsageLog({ dir, now: time.now });
    log.append([entry("2024-05-10T23:59:00.000Z")]);
    await log.flush();
    time.set("2024-05-11T00:00:00.100Z");
    // Stamped before midnight, appended after: it lands in the new day's file.
    log.append([entry("2024-05-10T23:59:59.900Z", { key: "late" }), entry("2024-05-11T00:00:00.100Z", { key: "mairie" })]);
    time.set("2024-05-13T08:00:00.000Z");
    log.append([entry("2024-05-13T08:00:00.000Z", { key: "later" })]);
    await log.close();

    expect(readdirSync(dir).sort()).toEqual(["usage-2024-05-10.jsonl", "usage-2024-05-11.jsonl", "usage-2024-05-13.jsonl"]);
    expect(lines("usage-2024-05-10.jsonl")).toHaveLength(1);
    expect(lines("usage-2024-05-11.jsonl")).toHaveLength(2);
    const may10 = await readUsage(dir, { since: new Date("2024-05-10T00:00:00Z"), until: new Date("2024-05-10T23:59:59.999Z") });
    expect(may10.entries.map((e) => e.key)).toEqual(["caf", "late"]);
    const may11 = await readUsage(dir, { since: new Date("2024-05-11T00:00:00Z"), until: new Date("2024-05-11T23:59:59.999Z") });
    expect(may11.entries.map((e) => e.key)).toEqual(["mairie"]);
    expect((await readUsage(dir, { since: new Date("2024-05-12T00:00:00Z") })).entries.map((e) => e.key)).toEqual(["later"]);
  });

  it("deletes day files past the retention at start and at the next day change, and nothing else", async () => {
    for (const name of ["usage-2024-02-09.jsonl", "usage-2024-02-10.jsonl", "usage-2024-05-09.jsonl", "usage-bad.jsonl", "notes.txt"]) {
      writeFileSync(join(dir, name), "");
    }
    const time = clock("2024-05-10T06:00:00.000Z");
    const log = new UsageLog({ dir, now: time.now, retentionDays: 90 });
    await log.flush();
    // 2024-02-10 is exactly 90 days before 2024-05-10: kept.
    expect(readdirSync(dir).sort()).toEqual(["notes.txt", "usage-2024-02-10.jsonl", "usage-2024-05-09.jsonl", "usage-bad.jsonl"]);
    log.append([entry("2024-05-10T06:00:00.000Z")]);
    await log.flush();
    expect(readdirSync(dir)).toContain("usage-2024-02-10.jsonl");
    time.set("2024-05-11T00:00:01.000Z");
    log.append([entry("2024-05-11T00:00:01.000Z")]);
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(["notes.txt", "usage-2024-05-09.jsonl", "usage-2024-05-10.jsonl", "usage-2024-05-11.jsonl", "usage-bad.jsonl"]);
  });

  it("skips and counts lines that are not valid entries", async () => {
    const good = entry("2024-05-10T09:00:00.000Z");
    writeFileSync(
      join(dir, "usage-2024-05-10.jsonl"),
      [
        JSON.stringify(good),
        "{not json",
        JSON.stringify({ ...good, input_tokens: -3 }),
        JSON.stringify({ ...good, time: "yesterday" }),
        "",
        JSON.stringify({ ...good, key: "mairie" }),
        JSON.stringify(good).slice(0, 40),
      ].join("\n"),
    );
    const read = await readUsage(dir, { since: new Date("2024-05-01T00:00:00Z") });
    expect(read.entries).toEqual([good, { ...good, key: "mairie" }]);
    expect(read.skipped).toBe(4);
  });

  it("keeps every line whole when two writers append to the same file", async () => {
    const time = clock("2024-05-10T10:00:00.000Z");
    const a = new UsageLog({ dir, now: time.now });
    const b = new UsageLog({ dir, now: time.now });
    for (let i = 0; i < 300; i += 1) {
      a.append([entry("2024-05-10T10:00:00.000Z", { key: "a", node: "x".repeat(i + 1) })]);
      b.append([entry("2024-05-10T10:00:00.000Z", { key: "b", node: "y".repeat(i + 1) })]);
      // Lets both drains run between appends, so their writes overlap on the thread pool.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([a.close(), b.close()]);
    const read = await readUsage(dir, { since: new Date("2024-05-10T00:00:00Z") });
    expect(read.skipped).toBe(0);
    expect(read.entries.filter((e) => e.key === "a")).toHaveLength(300);
    expect(read.entries.filter((e) => e.key === "b")).toHaveLength(300);
  });

  it("reads nothing from a directory that does not exist", async () => {
    expect(await readUsage(join(dir, "absent"), { since: new Date(0) })).toEqual({ entries: [], skipped: 0 });
  });

  it("on an unwritable directory reports once, never throws, keeps the lines and writes them once it can", async () => {
    // A regular file where the directory's parent should be: mkdir fails even for root.
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "");
    const target = join(blocker, "usage");
    const onError = jest.fn<(error: Error) => void>();
    const time = clock("2024-05-10T10:00:00.000Z");
    const log = new UsageLog({ dir: target, now: time.now, onError, maxPendingLines: 2 });
    expect(() => log.append([entry("2024-05-10T10:00:00.000Z", { key: "a" })])).not.toThrow();
    await log.flush();
    log.append([entry("2024-05-10T10:00:01.000Z", { key: "b" }), entry("2024-05-10T10:00:02.000Z", { key: "c" })]);
    await log.flush();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0].message).toMatch(/ENOTDIR|EEXIST/);
    expect(log.dropped).toBe(1);

    unlinkSync(blocker);
    log.append([entry("2024-05-10T10:00:03.000Z", { key: "d" })]);
    await log.close();
    expect(onError).toHaveBeenCalledTimes(1);
    expect((await readUsage(target, { since: new Date("2024-05-10T00:00:00Z") })).entries.map((e) => e.key)).toEqual(["c", "d"]);
  });
});

describe("usage log settings", () => {
  it("defaults to data/usage for 90 days; off turns the log off", () => {
    expect(parseUsageLogConfig({})).toEqual({ dir: "data/usage", retentionDays: 90 });
    expect(parseUsageLogConfig({ GUICHET_USAGE_LOG_DIR: "", GUICHET_USAGE_RETENTION_DAYS: "" })).toEqual({ dir: "data/usage", retentionDays: 90 });
    expect(parseUsageLogConfig({ GUICHET_USAGE_LOG_DIR: "/var/lib/guichet/usage", GUICHET_USAGE_RETENTION_DAYS: "400" })).toEqual({
      dir: "/var/lib/guichet/usage",
      retentionDays: 400,
    });
    expect(parseUsageLogConfig({ GUICHET_USAGE_LOG_DIR: "off" }).dir).toBeNull();
  });

  it.each(["0", "-1", "2.5", "ninety"])("refuses GUICHET_USAGE_RETENTION_DAYS=%s, naming it", (value) => {
    expect(() => parseUsageLogConfig({ GUICHET_USAGE_RETENTION_DAYS: value })).toThrow(
      "GUICHET_USAGE_RETENTION_DAYS: must be a positive whole number of days",
    );
  });
});
