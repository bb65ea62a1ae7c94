import type { Bilingual } from "../tools/lang/freedict.js";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { DenseIndex } from "../tools/search/dense-index.js";
import { LsaEmbeddings } from "../tools/search/embeddings/lsa.js";
import { SearchIndex, type BinarySearchIndexMeta } from "../tools/search/search-index.js";
import { INDEX_FORMAT_VERSION, type DenseBuild, type FicheRecord, type IndexManifest } from "./build-index.js";
import type { Chunk } from "./chunk.js";
import type { FicheSource } from "./sources/source.js";

const MANIFEST = "manifest.json";
const INDEX = "index.json";
/** One chunk per line: a single JSON text of a large knowledge base would pass V8's longest string. */
const CHUNKS = "chunks.jsonl";
const POSTINGS = "postings.bin";
const LSA_META = "lsa.json";
const BILINGUAL = "bilingual.json";
const LSA_PROJECTION = "lsa.bin";
const HNSW = "dense.hnsw";
const REMOTE_META = "dense-remote.json";
const REMOTE_HNSW = "dense-remote.hnsw";

/** A dense leg whose vectors came from an /embeddings endpoint: queries are embedded by the same model. */
export interface RemoteDense {
  /** Which endpoint and model made the vectors (see `modelKey`). */
  model: string;
  index: DenseIndex;
}

export interface LoadedIndex {
  index: SearchIndex;
  manifest: IndexManifest;
  /** Per-fiche source and content hash, for incremental re-ingestion. */
  fiches: Record<string, FicheRecord>;
  /** The offline dense leg, when the index has one. */
  dense?: DenseBuild;
  /** The dense leg made with a remote embeddings model, when the index has one. */
  remoteDense?: RemoteDense;
  /** Foreign word → French words from the FreeDict dictionaries, when they were installed at ingest time. */
  bilingual?: Bilingual;
}

interface StoredIndex extends Omit<BinarySearchIndexMeta, "chunks"> {
  fiches: Record<string, FicheRecord>;
}

/** Writes the index, then its manifest last, each through a temporary file, so a crash never leaves a half index. */
export function saveIndex(
  dir: string,
  index: SearchIndex,
  manifest: IndexManifest,
  fiches: Record<string, FicheRecord> = {},
  dense?: DenseBuild,
): void {
  mkdirSync(dir, { recursive: true });
  if (dense) {
    const { projection, ...meta } = dense.model.toData();
    writeAtomically(join(dir, LSA_PROJECTION), new Uint8Array(projection.buffer, projection.byteOffset, projection.byteLength));
    writeAtomically(join(dir, LSA_META), JSON.stringify(meta));
    const tmp = join(dir, `${HNSW}.${process.pid}.tmp`);
    dense.index.save(tmp);
    renameSync(tmp, join(dir, HNSW));
  } else {
    for (const file of [LSA_META, LSA_PROJECTION, HNSW]) rmSync(join(dir, file), { force: true });
  }
  const { meta, data } = index.toBinary();
  const { chunks, ...rest } = meta;
  const stored: StoredIndex = { ...rest, fiches };
  writeAtomically(join(dir, POSTINGS), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  writeLinesAtomically(join(dir, CHUNKS), chunks);
  writeAtomically(join(dir, INDEX), JSON.stringify(stored));
  writeAtomically(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Writes one JSON value per line, a batch of lines at a time. */
function writeLinesAtomically(path: string, values: unknown[]): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    for (let i = 0; i < values.length; i += 5000) {
      writeSync(fd, `${values.slice(i, i + 5000).map((v) => JSON.stringify(v)).join("\n")}\n`);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Parses a JSON-lines file line by line from its bytes (never as one string). */
function readJsonLines<T>(path: string): T[] {
  const bytes = readFileSync(path);
  const values: T[] = [];
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    if (end > start) values.push(JSON.parse(bytes.toString("utf8", start, end)) as T);
    start = end + 1;
  }
  return values;
}

function writeAtomically(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export function readManifest(dir: string): IndexManifest | undefined {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as IndexManifest;
  } catch {
    return undefined;
  }
}

export function loadIndex(dir: string): LoadedIndex {
  const manifest = readManifest(dir);
  if (!manifest) throw new Error(`no index in ${dir}: run \`npm run ingest\` first`);
  const bytes = readFileSync(join(dir, POSTINGS));
  const data =
    bytes.byteOffset % 4 === 0
      ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      : new Int32Array(new Uint8Array(bytes).buffer);
  const stored = JSON.parse(readFileSync(join(dir, INDEX), "utf8")) as StoredIndex;
  const chunks = readJsonLines<Chunk>(join(dir, CHUNKS));
  const index = SearchIndex.fromBinary(
    { chunks, bm25: stored.bm25, ...(stored.ficheIndex ? { ficheIndex: stored.ficheIndex } : {}) },
    data,
  );
  const bilingual = existsSync(join(dir, BILINGUAL)) ? { bilingual: JSON.parse(readFileSync(join(dir, BILINGUAL), "utf8")) as Bilingual } : {};
  return { index, manifest, fiches: stored.fiches ?? {}, ...loadDense(dir), ...loadRemoteDense(dir), ...bilingual };
}

/** Saves the foreign word lists beside the index (an empty set removes the file). */
export function saveBilingual(dir: string, bilingual: Bilingual): void {
  if (Object.keys(bilingual).length === 0) rmSync(join(dir, BILINGUAL), { force: true });
  else writeAtomically(join(dir, BILINGUAL), JSON.stringify(bilingual));
}

/** Saves (or, with undefined, removes) the remote dense leg. */
export function saveRemoteDense(dir: string, remote: RemoteDense | undefined): void {
  if (!remote) {
    for (const file of [REMOTE_META, REMOTE_HNSW]) rmSync(join(dir, file), { force: true });
    return;
  }
  const tmp = join(dir, `${REMOTE_HNSW}.${process.pid}.tmp`);
  remote.index.save(tmp);
  renameSync(tmp, join(dir, REMOTE_HNSW));
  writeAtomically(join(dir, REMOTE_META), JSON.stringify({ model: remote.model, dims: remote.index.dimensions }));
}

/** The model of the remote dense leg in `dir`, if any. */
export function remoteDenseModel(dir: string): string | undefined {
  const path = join(dir, REMOTE_META);
  if (!existsSync(path) || !existsSync(join(dir, REMOTE_HNSW))) return undefined;
  return (JSON.parse(readFileSync(path, "utf8")) as { model: string }).model;
}

function loadRemoteDense(dir: string): { remoteDense?: RemoteDense } {
  if (!remoteDenseModel(dir)) return {};
  const meta = JSON.parse(readFileSync(join(dir, REMOTE_META), "utf8")) as { model: string; dims: number };
  return { remoteDense: { model: meta.model, index: DenseIndex.load(join(dir, REMOTE_HNSW), meta.dims) } };
}

function loadDense(dir: string): { dense?: DenseBuild } {
  if (![LSA_META, LSA_PROJECTION, HNSW].every((f) => existsSync(join(dir, f)))) return {};
  const meta = JSON.parse(readFileSync(join(dir, LSA_META), "utf8")) as { dims: number; terms: string[]; idf: number[] };
  const bytes = readFileSync(join(dir, LSA_PROJECTION));
  const projection = new Float32Array(new Uint8Array(bytes).buffer);
  const model = LsaEmbeddings.fromData({ ...meta, projection });
  return { dense: { model, index: DenseIndex.load(join(dir, HNSW), meta.dims) } };
}

/** The manifest of the index in `dir` when that index is complete and of the current format, so it can be served as built. */
export function servableManifest(dir: string): IndexManifest | undefined {
  const manifest = readManifest(dir);
  if (!manifest || manifest.formatVersion !== INDEX_FORMAT_VERSION) return undefined;
  return [INDEX, POSTINGS, CHUNKS].every((f) => existsSync(join(dir, f))) ? manifest : undefined;
}

/**
 * Why the index in `dir` must be (re)built for these sources (and with a dense leg when `dense`), or
 * undefined when it is up to date.
 */
export function staleReason(
  dir: string,
  sources: FicheSource | FicheSource[],
  dense = false,
  remoteModel?: string,
): string | undefined {
  const list = Array.isArray(sources) ? sources : [sources];
  const manifest = readManifest(dir);
  if (!manifest || ![INDEX, POSTINGS, CHUNKS].every((f) => existsSync(join(dir, f)))) return "no index";
  if (manifest.formatVersion !== INDEX_FORMAT_VERSION) {
    return `index format ${manifest.formatVersion} is not ${INDEX_FORMAT_VERSION}`;
  }
  const stored = (manifest.sources ?? []).map((s) => `${s.name}|${s.location}|${s.fingerprint}`).join("\n");
  const wanted = list.map((s) => `${s.name}|${s.location}|${s.fingerprint()}`).join("\n");
  if (stored !== wanted) return "source content changed";
  if (dense && ![LSA_META, LSA_PROJECTION, HNSW].every((f) => existsSync(join(dir, f)))) return "no dense leg";
  if (remoteModel && remoteDenseModel(dir) !== remoteModel) return `no vectors of ${remoteModel}`;
  return undefined;
}
