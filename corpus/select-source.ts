import { npmVddSource, type VddAudience } from "./sources/npm-vdd.js";
import type { FicheSource } from "./sources/source.js";
import { xmlFolderSource } from "./sources/xml-folder.js";

export type SourceKind = "vdd-npm" | "vdd-xml";

/** One source of the knowledge base, as configured. */
export interface SourceSpec {
  kind: SourceKind;
  /** vdd-npm: which audience (particuliers by default). */
  audience?: VddAudience;
  /** vdd-xml: the folder of XML files. */
  path?: string;
}

const KIND_ALIASES: Record<string, SourceKind> = {
  "vdd-npm": "vdd-npm",
  npm: "vdd-npm",
  "vdd-xml": "vdd-xml",
  "vosdroits-xml": "vdd-xml",
};

const AUDIENCES: VddAudience[] = ["particuliers", "professionnels", "associations"];

/**
 * Parses one source spec: `vdd-npm`, `vdd-npm:professionnels`, `vdd-xml=<folder>` (aliases:
 * `vosdroits-xml`, `npm`). Throws with a readable message on anything else.
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
  if (!path) throw new Error(`source "${text}": needs a folder, as in vdd-xml=/path/to/folder`);
  return { kind, path };
}

/** The fiche source a spec names. */
export function sourceFromSpec(spec: SourceSpec): FicheSource {
  if (spec.kind === "vdd-xml") {
    if (!spec.path) throw new Error("the vdd-xml source needs a folder (GUICHET_SOURCES=vdd-xml=<folder> or --path)");
    return xmlFolderSource(spec.path);
  }
  return npmVddSource(spec.audience ?? "particuliers");
}

export function sourcesFromConfig(specs: SourceSpec[]): FicheSource[] {
  return specs.map(sourceFromSpec);
}
