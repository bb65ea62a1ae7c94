import { npmVddSource, type VddAudience } from "./sources/npm-vdd.js";
import type { FicheSource } from "./sources/source.js";
import { travailSource } from "./sources/travail.js";
import { xmlFolderSource } from "./sources/xml-folder.js";
import { xmlZipSource } from "./sources/xml-zip.js";

export type SourceKind = "vdd-npm" | "vdd-xml" | "vdd-zip" | "travail";

/** One source of the knowledge base, as configured. */
export interface SourceSpec {
  kind: SourceKind;
  /** vdd-npm: which audience (particuliers by default). */
  audience?: VddAudience;
  /** vdd-xml: the folder of XML files; vdd-zip: the zip file (`vosdroits-latest.zip`). */
  path?: string;
}

const KIND_ALIASES: Record<string, SourceKind> = {
  "vdd-npm": "vdd-npm",
  npm: "vdd-npm",
  "vdd-xml": "vdd-xml",
  "vosdroits-xml": "vdd-xml",
  "vdd-zip": "vdd-zip",
  "vosdroits-zip": "vdd-zip",
  travail: "travail",
  "fiches-travail": "travail",
  "travail-data": "travail",
};

const AUDIENCES: VddAudience[] = ["particuliers", "professionnels", "associations"];

/**
 * Parses one source spec: `vdd-npm`, `vdd-npm:professionnels`, `vdd-xml=<folder>`, `vdd-zip=<file>`, `travail`
 * (aliases: `npm`, `vosdroits-xml`, `vosdroits-zip`, `fiches-travail`, `travail-data`). Throws with a readable
 * message on anything else.
 */
export function parseSourceSpec(text: string): SourceSpec {
  const [head = "", path] = text.trim().split(/=(.*)/s, 2);
  const [kindName = "", audience] = head.split(":", 2);
  const kind = KIND_ALIASES[kindName.trim().toLowerCase()];
  if (!kind) throw new Error(`unknown source "${kindName}" (expected one of: ${Object.keys(KIND_ALIASES).join(", ")})`);
  if (kind === "vdd-npm") {
    if (path) throw new Error(`source "${text}": vdd-npm takes no path`);
    if (audience && !AUDIENCES.includes(audience as VddAudience)) {
      throw new Error(`source "${text}": audience must be one of ${AUDIENCES.join(", ")}`);
    }
    return { kind, ...(audience ? { audience: audience as VddAudience } : {}) };
  }
  if (kind === "travail") {
    if (audience !== undefined) throw new Error(`source "${text}": only vdd-npm takes an audience`);
    if (path !== undefined) throw new Error(`source "${text}": travail takes no path (it reads the installed @socialgouv/fiches-travail-data package)`);
    return { kind };
  }
  if (kind === "vdd-zip") {
    if (audience !== undefined) throw new Error(`source "${text}": only vdd-npm takes an audience`);
    if (!path?.trim()) throw new Error(`source "${text}": needs a zip file, as in vdd-zip=/path/to/vosdroits-latest.zip`);
    return { kind, path: path.trim() };
  }
  if (!path) throw new Error(`source "${text}": needs a folder, as in vdd-xml=/path/to/folder`);
  return { kind, path };
}

/** The fiche source a spec names. */
export function sourceFromSpec(spec: SourceSpec): FicheSource {
  switch (spec.kind) {
    case "vdd-xml":
      if (!spec.path) throw new Error("the vdd-xml source needs a folder (GUICHET_SOURCES=vdd-xml=<folder> or --path)");
      return xmlFolderSource(spec.path);
    case "vdd-zip":
      if (!spec.path) throw new Error("the vdd-zip source needs a zip file (GUICHET_SOURCES=vdd-zip=<file> or --path)");
      return xmlZipSource(spec.path);
    case "travail":
      return travailSource();
    default:
      return npmVddSource(spec.audience ?? "particuliers");
  }
}

export function sourcesFromConfig(specs: SourceSpec[]): FicheSource[] {
  return specs.map(sourceFromSpec);
}
