import type { AppConfig } from "../tools/config.js";
import { npmVddSource } from "./sources/npm-vdd.js";
import type { FicheSource } from "./sources/source.js";
import { xmlFolderSource } from "./sources/xml-folder.js";

/** The fiche source the configuration names. */
export function sourceFromConfig(source: AppConfig["source"]): FicheSource {
  if (source.kind === "vdd-xml") {
    if (!source.path) throw new Error("the vdd-xml source needs a folder (GUICHET_SOURCE_PATH or --path)");
    return xmlFolderSource(source.path);
  }
  return npmVddSource("particuliers");
}
