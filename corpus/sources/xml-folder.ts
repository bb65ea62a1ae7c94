import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseFiche } from "../fiche-parser.js";
import { fromXmlString } from "../xml-tree.js";
import { fingerprintFiles, listFiles, sha256 } from "./files.js";
import type { FicheSource, RawFiche } from "./source.js";

/** A folder of official XML fiches (schema 3.x, e.g. the unzipped `vosdroits-latest.zip`). */
export function xmlFolderSource(folder: string): FicheSource {
  const dir = resolve(folder);
  const files = () => listFiles(dir, /^F\d+\.xml$/);
  return {
    name: "vdd-xml",
    location: dir,
    list(): RawFiche[] {
      return files().map((file) => ({
        id: file.split("/").pop()!.replace(/\.xml$/, ""),
        origin: file,
        hash: () => sha256(readFileSync(file)),
        load: () => parseFiche(fromXmlString(readFileSync(file, "utf8"))),
      }));
    },
    fingerprint: () => fingerprintFiles(files(), `vdd-xml:${dir}`),
  };
}
