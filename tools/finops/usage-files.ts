import { readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { addDays } from "./day.js";

const FILE_NAME = /^usage-(\d{4}-\d{2}-\d{2})\.jsonl$/;

export const usageFileName = (day: string) => `usage-${day}.jsonl`;

export interface UsageFile {
  day: string;
  path: string;
}

/** The day files of a usage directory, oldest first; none when the directory does not exist. */
export async function listUsageFiles(dir: string): Promise<UsageFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names
    .flatMap((name) => {
      const day = FILE_NAME.exec(name)?.[1];
      return day ? [{ day, path: join(dir, name) }] : [];
    })
    .sort((a, b) => a.day.localeCompare(b.day));
}

/** Deletes the day files whose day is more than `retentionDays` before `today`; other files are left alone. */
export async function deleteExpiredUsageFiles(dir: string, today: string, retentionDays: number): Promise<string[]> {
  const oldestKept = addDays(today, -retentionDays);
  const deleted: string[] = [];
  for (const file of await listUsageFiles(dir)) {
    if (file.day >= oldestKept) continue;
    try {
      await unlink(file.path);
      deleted.push(file.path);
    } catch (error) {
      // Another instance sharing the directory may have deleted it first.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return deleted;
}
