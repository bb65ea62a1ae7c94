import type { Fiche } from "../fiche.js";

/** One fiche as found in a source, read lazily so that a bad file fails alone. */
export interface RawFiche {
  id: string;
  /** File path or entry name, for error reports. */
  origin: string;
  /** sha256 of the raw content: tells whether the fiche changed since the last ingestion. */
  hash(): string;
  /** Parses the fiche; throws with the reason when it is malformed. */
  load(): Fiche;
}

/** A reader of fiches (npm snapshot, official XML dump, labour ministry fiches, ...). */
export interface FicheSource {
  /** Short name stored on every chunk ("vdd-npm", "vdd-xml", "travail"). */
  name: string;
  /** Human-readable description of where the fiches come from (package@version, folder). */
  location: string;
  list(): RawFiche[];
  /** Cheap identity of the source content (file names and sizes), to tell whether an index is stale. */
  fingerprint(): string;
}
