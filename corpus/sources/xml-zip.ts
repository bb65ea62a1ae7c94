/*
 * The official dump `vosdroits-latest.zip` read in place, without unzipping it first.
 *
 * Library: adm-zip. Its synchronous API fits `FicheSource.list()`, it reads the central directory once and
 * inflates an entry only when asked (so a fiche is decompressed in `hash()`/`load()`, and one bad entry fails
 * alone), and it checks each entry's CRC-32, which turns a damaged entry into a clear error. fflate's
 * `unzipSync` inflates all the selected entries in one call and stops at the first damaged one, with no CRC check.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import AdmZip from "adm-zip";
import { parseFiche } from "../fiche-parser.js";
import { fromXmlString } from "../xml-tree.js";
import { sha256 } from "./files.js";
import type { FicheSource, RawFiche } from "./source.js";

/** `F1234.xml`, at the root of the archive or in a folder. */
const FICHE_ENTRY = /(?:^|\/)(F\d+)\.xml$/;

function openZip(file: string): AdmZip {
  let size: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) throw new Error("not a file");
    size = stats.size;
  } catch (error) {
    throw new Error(`${file}: cannot read the zip file (${(error as Error).message})`, { cause: error });
  }
  try {
    return new AdmZip(file);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^ADM-ZIP: /, "");
    throw new Error(`${file}: not a valid zip archive (${size} bytes; ${reason})`, { cause: error });
  }
}

/** The F*.xml fiches of a zip of official XML (schema 3.x), such as `vosdroits-latest.zip`. */
export function xmlZipSource(zipPath: string): FicheSource {
  const file = resolve(zipPath);
  return {
    name: "vdd-xml",
    location: file,
    list(): RawFiche[] {
      const zip = openZip(file);
      const fiches = zip
        .getEntries()
        .filter((entry) => !entry.isDirectory && FICHE_ENTRY.test(entry.entryName))
        .map((entry) => ({ entry, id: FICHE_ENTRY.exec(entry.entryName)![1]! }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.entry.entryName.localeCompare(b.entry.entryName)));
      return fiches.map(({ entry, id }) => {
        const origin = `${file}:${entry.entryName}`;
        const content = (): Buffer => {
          try {
            return entry.getData();
          } catch (error) {
            const reason = (error instanceof Error ? error.message : String(error)).replace(/^ADM-ZIP: /, "");
            throw new Error(`${entry.entryName}: damaged zip entry (${reason})`, { cause: error });
          }
        };
        return {
          id,
          origin,
          hash: () => sha256(content()),
          load: () => parseFiche(fromXmlString(content().toString("utf8"))),
        };
      });
    },
    fingerprint: () => {
      const stats = statSync(file);
      return sha256(`vdd-zip:${file}:${stats.size}:${Math.trunc(stats.mtimeMs)}`).slice(0, 16);
    },
  };
}
