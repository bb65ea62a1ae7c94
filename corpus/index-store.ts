import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SearchIndex } from "../tools/search/search-index.js";
import { INDEX_FORMAT_VERSION, type IndexManifest } from "./build-index.js";
import type { FicheSource } from "./sources/source.js";

const MANIFEST = "manifest.json";
const INDEX = "index.json";

export interface LoadedIndex {
  index: SearchIndex;
  manifest: IndexManifest;
}

/** Writes the index then its manifest, each through a temporary file, so a crash never leaves a half index. */
export function saveIndex(dir: string, index: SearchIndex, manifest: IndexManifest): void {
  mkdirSync(dir, { recursive: true });
  writeAtomically(join(dir, INDEX), JSON.stringify(index.toJSON()));
  writeAtomically(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

function writeAtomically(path: string, content: string): void {
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
  const index = SearchIndex.fromJSON(JSON.parse(readFileSync(join(dir, INDEX), "utf8")));
  return { index, manifest };
}

/** Why the index in `dir` must be rebuilt for `source`, or undefined when it is up to date. */
export function staleReason(dir: string, source: FicheSource): string | undefined {
  const manifest = readManifest(dir);
  if (!manifest || !existsSync(join(dir, INDEX))) return "no index";
  if (manifest.formatVersion !== INDEX_FORMAT_VERSION) {
    return `index format ${manifest.formatVersion} is not ${INDEX_FORMAT_VERSION}`;
  }
  if (manifest.source.name !== source.name || manifest.source.fingerprint !== source.fingerprint()) {
    return "source content changed";
  }
  return undefined;
}
