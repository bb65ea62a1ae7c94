import type { XElement } from "../xml-tree.js";

/** One fiche as found in a source, loaded lazily so a bad file fails alone. */
export interface RawFiche {
  id: string;
  /** File path or entry name, for error reports. */
  origin: string;
  load(): XElement;
}

/** A reader of service-public fiches (npm snapshot, official XML dump, ...). */
export interface FicheSource {
  /** Short name stored on every chunk ("vdd-npm", "vdd-xml"). */
  name: string;
  /** Human-readable description of where the fiches come from (package@version, folder). */
  location: string;
  list(): RawFiche[];
  /** Cheap identity of the source content (file names and sizes), to tell whether an index is stale. */
  fingerprint(): string;
}
