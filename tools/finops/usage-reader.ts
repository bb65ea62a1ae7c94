import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { addDays, utcDay } from "./day.js";
import { UsageEntrySchema, type UsageEntry } from "./usage-entry.js";
import { listUsageFiles } from "./usage-files.js";

export interface UsageWindow {
  since: Date;
  /** Open-ended when absent. */
  until?: Date;
}

export interface UsageRead {
  /** Entries whose time is in [since, until], in file order. */
  entries: UsageEntry[];
  /** Lines that are not a valid entry (a torn last line, a hand edit, an older format): skipped, not fatal. */
  skipped: number;
}

/**
 * The usage entries of a time window, read from the day files that can hold them. A line lands in the file of
 * the day it was appended on, which can be the day after its `time` for a run straddling midnight: the file of
 * the day after the window is read too.
 */
export async function readUsage(dir: string, window: UsageWindow): Promise<UsageRead> {
  const since = window.since.getTime();
  const until = window.until?.getTime() ?? Number.POSITIVE_INFINITY;
  const firstDay = utcDay(window.since);
  const lastDay = window.until ? addDays(utcDay(window.until), 1) : undefined;
  const entries: UsageEntry[] = [];
  let skipped = 0;
  for (const file of await listUsageFiles(dir)) {
    if (file.day < firstDay || (lastDay !== undefined && file.day > lastDay)) continue;
    const lines = createInterface({ input: createReadStream(file.path, { encoding: "utf8" }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const entry = parseLine(line);
      if (!entry) {
        skipped += 1;
        continue;
      }
      const time = Date.parse(entry.time);
      if (time >= since && time <= until) entries.push(entry);
    }
  }
  return { entries, skipped };
}

function parseLine(line: string): UsageEntry | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = UsageEntrySchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
