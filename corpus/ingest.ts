import { buildBilingual } from "../tools/lang/freedict.js";
import { analyze } from "../tools/search/analyzer.js";
import type { SearchIndex } from "../tools/search/search-index.js";
import { SingleBar } from "cli-progress";
import { buildIndex, INDEX_FORMAT_VERSION, nothingChanged, type BuildResult, type PreviousBuild } from "./build-index.js";
import { DenseIndex } from "../tools/search/dense-index.js";
import {
  embedWithCache,
  modelKey,
  textHash as textKey,
  remoteEmbeddings,
  VectorCache,
  type RemoteEmbeddingsConfig,
} from "../tools/search/embeddings/remote.js";
import type { Chunk } from "./chunk.js";
import { loadIndex, readManifest, saveBilingual, saveIndex, saveRemoteDense, staleReason, type RemoteDense } from "./index-store.js";
import type { FicheSource } from "./sources/source.js";

export interface IngestOptions {
  indexDir: string;
  /** Re-read every fiche even when the sources look unchanged (unchanged fiches are still reused). */
  force?: boolean;
  /** Rebuild from scratch, ignoring the previous index. */
  full?: boolean;
  /** Show a progress bar on standard error. */
  progress?: boolean;
  /** Also learn the offline dense model and index the vectors (for hybrid or dense retrieval). */
  dense?: boolean;
  /** Embed the chunks with this OpenAI-compatible endpoint instead (vectors cached by text hash in the index folder). */
  remote?: RemoteEmbeddingsConfig;
  /** For tests: the embeddings client to use with `remote` (default: LangChain's OpenAI client). */
  remoteClient?: Parameters<typeof embedWithCache>[1];
  /**
   * Keep an existing index of the current format even if it was built from other sources (commands that
   * read the index a user just built, e.g. from the XML fixtures); build only when there is none.
   */
  keepExisting?: boolean;
  /** Folder of FreeDict dictionaries (dictd format) to read the foreign word lists from; "" = none. */
  freedictDir?: string;
  log?: (message: string) => void;
}

export interface IngestOutcome {
  /** True when the index on disk was (re)written. */
  built: boolean;
  reason?: string;
  result?: BuildResult;
}

/** The previous build in `dir`, when it has the current format and so can be reused. */
function previousBuild(dir: string): PreviousBuild | undefined {
  const manifest = readManifest(dir);
  if (!manifest || manifest.formatVersion !== INDEX_FORMAT_VERSION) return undefined;
  try {
    const loaded = loadIndex(dir);
    return { chunks: loaded.index.chunks, fiches: loaded.fiches };
  } catch {
    return undefined;
  }
}

/** A progress bar on standard error that starts on its first update (or does nothing when not wanted). */
function progressBar(wanted: boolean | undefined, format: string) {
  const bar = wanted
    ? new SingleBar({ stream: process.stderr, format, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: true })
    : undefined;
  let started = false;
  return {
    update: (done: number, total: number) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/** One line saying what an ingestion did. */
export function summarize(result: BuildResult): string {
  const c = result.manifest.counts;
  return (
    `read ${c.read} fiches: re-processed ${c.processed} (${c.added} new, ${c.changed} changed), ` +
    `${c.unchanged} unchanged, ${c.removed} removed, ${c.skipped} skipped; ` +
    `index: ${c.fiches} fiches, ${c.chunks} chunks, corpus ${result.manifest.corpusVersion}, ${result.manifest.buildMs} ms`
  );
}

/**
 * Brings the index up to date with the sources: nothing to do when their fingerprints are unchanged;
 * otherwise only new or changed fiches are parsed again, removed ones leave, and the index is written
 * only if something changed.
 */
export async function ingest(sources: FicheSource | FicheSource[], options: IngestOptions): Promise<IngestOutcome> {
  const list = Array.isArray(sources) ? sources : [sources];
  const log = options.log ?? (() => {});
  const where = list.map((s) => s.location).join(", ");
  const remoteModel = options.remote ? modelKey(options.remote) : undefined;
  const stale = staleReason(options.indexDir, list, options.dense && !options.remote, remoteModel);
  const kept = options.keepExisting && stale === "source content changed";
  const reason = options.force || options.full ? "forced" : kept ? undefined : stale;
  if (!reason) {
    log(
      kept
        ? `using the index in ${options.indexDir} as built (from ${readManifest(options.indexDir)?.sources.map((s) => s.location).join(", ")})`
        : `index in ${options.indexDir} is up to date with ${where}`,
    );
    return { built: false };
  }
  const previous = options.full ? undefined : previousBuild(options.indexDir);
  log(`${previous ? "updating" : "building"} index from ${where} (${reason})`);
  const bar = progressBar(options.progress, "ingest [{bar}] {value}/{total} fiches | {eta_formatted} left");
  const result = buildIndex(list, {
    ...(previous ? { previous } : {}),
    dense: (options.dense ?? false) && !options.remote,
    onProgress: bar.update,
  });
  bar.stop();
  for (const line of skippedLines(result.skipped)) log(line);
  log(summarize(result));
  const unchanged =
    previous !== undefined && nothingChanged(result.manifest) && reason === "forced" && !options.dense && !options.remote;
  if (unchanged) return { built: false, reason, result };
  const remote = options.remote
    ? await embedRemotely(result.index.chunks, options.remote, options.indexDir, options, log)
    : undefined;
  saveIndex(options.indexDir, result.index, result.manifest, result.fiches, result.dense);
  saveRemoteDense(options.indexDir, remote);
  if (options.freedictDir) {
    const bilingual = buildBilingual((french) => knownFrench(result.index, french), options.freedictDir);
    saveBilingual(options.indexDir, bilingual);
    const sizes = Object.entries(bilingual).map(([lang, table]) => `${lang} ${Object.keys(table ?? {}).length}`);
    log(sizes.length > 0 ? `foreign word lists from ${options.freedictDir}: ${sizes.join(", ")}` : `no FreeDict dictionary in ${options.freedictDir}: the glossary alone translates`);
  }
  return { built: true, reason, result };
}

/** A French word or phrase every term of which the knowledge base uses. */
function knownFrench(index: SearchIndex, french: string): boolean {
  const terms = analyze(french);
  return terms.length > 0 && terms.every((term) => index.knows(term));
}

/** Text a chunk is embedded from: its breadcrumb (fiche title and headings) then its text. */
export function embeddingText(chunk: Chunk): string {
  return `${chunk.breadcrumb}\n${chunk.text}`;
}

async function embedRemotely(
  chunks: Chunk[],
  config: RemoteEmbeddingsConfig,
  dir: string,
  options: IngestOptions,
  log: (message: string) => void,
): Promise<RemoteDense> {
  const model = modelKey(config);
  const cache = VectorCache.load(dir, model);
  const bar = progressBar(options.progress, "embed [{bar}] {value}/{total} passages");
  const texts = chunks.map(embeddingText);
  const client = options.remoteClient ?? remoteEmbeddings(config);
  const outcome = await embedWithCache(texts, client, cache, config.batchSize, bar.update);
  bar.stop();
  cache.save(dir, new Set(texts.map((t) => textKey(t))));
  log(`embedded ${outcome.embedded} passages with ${config.model} (${outcome.cached} from the cache)`);
  const dims = outcome.vectors[0]?.length ?? 1;
  return { model, index: DenseIndex.build(outcome.vectors, dims) };
}

/**
 * What the build skipped, in a few lines: fiches already taken by an earlier source (one fiche published for two
 * audiences, expected) as one count; the others one by one, the first ten of them.
 */
export function skippedLines(skipped: Array<{ id: string; source: string; reason: string }>, shown = 10): string[] {
  const duplicates = skipped.filter((s) => s.reason.includes("already indexed from"));
  const failed = skipped.filter((s) => !duplicates.includes(s));
  const lines = duplicates.length > 0 ? [`skipped ${duplicates.length} fiches already indexed from an earlier source`] : [];
  for (const skip of failed.slice(0, shown)) lines.push(`skipped ${skip.id} (${skip.source}): ${skip.reason}`);
  if (failed.length > shown) lines.push(`… and ${failed.length - shown} more fiches skipped`);
  return lines;
}
