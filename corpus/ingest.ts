import { SingleBar } from "cli-progress";
import { buildIndex, type BuildResult } from "./build-index.js";
import { saveIndex, staleReason } from "./index-store.js";
import type { FicheSource } from "./sources/source.js";

export interface IngestOptions {
  indexDir: string;
  /** Rebuild even when the index is up to date. */
  force?: boolean;
  /** Show a progress bar on standard error. */
  progress?: boolean;
  log?: (message: string) => void;
}

export interface IngestOutcome {
  built: boolean;
  reason?: string;
  result?: BuildResult;
}

/** Builds and saves the index when it is missing or stale (or when forced). */
export function ingest(source: FicheSource, options: IngestOptions): IngestOutcome {
  const log = options.log ?? (() => {});
  const reason = options.force ? "forced" : staleReason(options.indexDir, source);
  if (!reason) {
    log(`index in ${options.indexDir} is up to date with ${source.location}`);
    return { built: false };
  }
  log(`building index from ${source.location} (${reason})`);
  const bar = options.progress
    ? new SingleBar({
        stream: process.stderr,
        format: "ingest [{bar}] {value}/{total} fiches | {eta_formatted} left",
        noTTYOutput: true,
        notTTYSchedule: 5000,
        hideCursor: true,
      })
    : undefined;
  let started = false;
  const result = buildIndex(source, {
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
  });
  bar?.stop();
  saveIndex(options.indexDir, result.index, result.manifest);
  const { counts } = result.manifest;
  log(
    `indexed ${counts.fiches} fiches into ${counts.chunks} chunks in ${result.manifest.buildMs} ms; ` +
      `read ${counts.read}, skipped ${counts.skipped}`,
  );
  for (const skip of result.skipped) log(`skipped ${skip.id}: ${skip.reason}`);
  return { built: true, reason, result };
}
