import { mkdir, open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { utcDay } from "./day.js";
import type { UsageEntry } from "./usage-entry.js";
import { deleteExpiredUsageFiles, usageFileName } from "./usage-files.js";

export const DEFAULT_USAGE_RETENTION_DAYS = 90;

export interface UsageLogOptions {
  dir: string;
  /** Day files whose day is more than this many days before today are deleted (at start and at each new day). */
  retentionDays?: number;
  now?: () => Date;
  /** Called once when writing starts failing (and again only after a write has succeeded since). */
  onError?: (error: Error) => void;
  /** Lines held in memory while writes fail; past it the oldest are dropped (and counted in `dropped`). */
  maxPendingLines?: number;
}

interface PendingLine {
  day: string;
  text: string;
}

/**
 * The usage log: JSON lines appended to one file per UTC day, `usage-YYYY-MM-DD.jsonl` in `dir`.
 * `append` only queues the lines; one write at a time drains the queue, so a request never waits on the disk
 * and never sees a write error. The file is opened with O_APPEND and each batch is one write, which is what lets
 * several processes append to the same directory.
 */
export class UsageLog {
  private readonly retentionDays: number;
  private readonly now: () => Date;
  private readonly maxPendingLines: number;
  private pending: PendingLine[] = [];
  private chain: Promise<void>;
  private draining = false;
  private file: { day: string; handle: FileHandle } | undefined;
  private failing = false;
  private closed = false;
  private droppedLines = 0;
  private sweptDay = "";

  constructor(private readonly options: UsageLogOptions) {
    this.retentionDays = options.retentionDays ?? DEFAULT_USAGE_RETENTION_DAYS;
    this.now = options.now ?? (() => new Date());
    this.maxPendingLines = options.maxPendingLines ?? 10_000;
    this.chain = this.sweep(utcDay(this.now()));
  }

  /** Lines given up because writes kept failing while the queue was full. */
  get dropped(): number {
    return this.droppedLines;
  }

  append(entries: readonly UsageEntry[]): void {
    if (this.closed || entries.length === 0) return;
    let day: string;
    let lines: string[];
    try {
      day = utcDay(this.now());
      lines = entries.map((entry) => `${JSON.stringify(entry)}\n`);
    } catch (error) {
      this.report(error);
      return;
    }
    for (const text of lines) this.pending.push({ day, text });
    const excess = this.pending.length - this.maxPendingLines;
    if (excess > 0) {
      this.pending.splice(0, excess);
      this.droppedLines += excess;
    }
    this.schedule();
  }

  /** Resolves once the lines appended so far are written, or have failed to be (it never rejects). */
  async flush(): Promise<void> {
    if (this.pending.length > 0) this.schedule();
    await this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    await file?.handle.close().catch((error: unknown) => this.report(error));
  }

  private schedule(): void {
    if (this.draining) return;
    this.draining = true;
    this.chain = this.chain.then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const day = this.pending[0]!.day;
        let count = 1;
        while (count < this.pending.length && this.pending[count]!.day === day) count += 1;
        const batch = this.pending.slice(0, count);
        try {
          const handle = await this.handleFor(day);
          await writeAll(handle, Buffer.from(batch.map((line) => line.text).join(""), "utf8"));
          this.pending.splice(0, count);
          this.failing = false;
        } catch (error) {
          this.report(error);
          // Reopened on the next try: the directory may have been fixed or recreated meanwhile.
          const file = this.file;
          this.file = undefined;
          await file?.handle.close().catch(() => undefined);
          // The lines stay queued; the next append (or flush) tries again.
          return;
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async handleFor(day: string): Promise<FileHandle> {
    if (this.file?.day === day) return this.file.handle;
    const previous = this.file;
    this.file = undefined;
    await previous?.handle.close().catch(() => undefined);
    if (day > this.sweptDay) await this.sweep(day);
    await mkdir(this.options.dir, { recursive: true });
    const handle = await open(join(this.options.dir, usageFileName(day)), "a");
    this.file = { day, handle };
    return handle;
  }

  private async sweep(today: string): Promise<void> {
    this.sweptDay = today;
    try {
      await deleteExpiredUsageFiles(this.options.dir, today, this.retentionDays);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    try {
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing callback must not break the log.
    }
  }
}

async function writeAll(handle: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}
