import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Fiche, FicheLink, FicheReference, Section } from "../fiche.js";
import { htmlToText, plainText } from "./html-text.js";
import { sha256 } from "./files.js";
import type { FicheSource, RawFiche } from "./source.js";

/** Folder of the installed `@socialgouv/fiches-travail-data` package. */
export function travailPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@socialgouv/fiches-travail-data/package.json"));
}

/** Legal references of a section: `{ LEGITEXT…: { name?, articles: [{ text, fmt, cid?, id? }] } }`. */
type TravailReferences = Record<string, { name?: string; articles?: { text?: string; fmt?: string; id?: string }[] }>;

/** One entry of `data/fiches-travail.json`, as published (nothing is trusted: every field may be missing). */
export interface TravailEntry {
  pubId?: string;
  title?: string;
  url?: string;
  /** dd/mm/yyyy */
  date?: string;
  description?: string;
  intro?: string;
  sections?: { title?: string; anchor?: string; html?: string; text?: string; description?: string; references?: TravailReferences }[];
}

export const TRAVAIL_AUDIENCE = "Salariés et employeurs";
export const TRAVAIL_TYPE = "Fiche pratique travail";
export const TRAVAIL_THEME = "Travail";

/** Names of the codes the references point to, when the data gives none. */
const CODE_NAMES: Record<string, string> = {
  LEGITEXT000006072050: "Code du travail",
  LEGITEXT000006073189: "Code de la sécurité sociale",
};

/** "13/11/2025" → "2025-11-13"; throws on anything else. */
export function travailDate(date: string | undefined): string {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(date?.trim() ?? "");
  if (!match) throw new Error(`date "${date ?? ""}" is not dd/mm/yyyy`);
  const [, day, month, year] = match;
  const iso = `${year}-${month}-${day}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso) {
    throw new Error(`date "${date}" does not exist`);
  }
  return iso;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function references(entry: TravailEntry): FicheReference[] {
  const out: FicheReference[] = [];
  const seen = new Set<string>();
  for (const section of entry.sections ?? []) {
    for (const [textId, ref] of Object.entries(section.references ?? {})) {
      const code = ref.name ? capitalise(ref.name) : CODE_NAMES[textId];
      for (const article of ref.articles ?? []) {
        if (!code || !article.id || seen.has(article.id)) continue;
        seen.add(article.id);
        out.push({
          title: `${code}, article ${article.fmt ?? article.text ?? ""}`.trim(),
          url: `https://www.legifrance.gouv.fr/codes/article_lc/${article.id}`,
        });
      }
    }
  }
  return out;
}

/**
 * A labour ministry fiche to the Fiche model: the intro is the first section (no heading), then one section per
 * entry of `sections` under its title (none when the title repeats the fiche's); the text is converted from the
 * HTML, not from the flat `text` field, to keep paragraphs, lists and tables apart.
 */
export function travailFiche(entry: TravailEntry): Fiche {
  const id = entry.pubId?.trim();
  if (!id) throw new Error("no pubId");
  const title = plainText(entry.title ?? "");
  if (!title) throw new Error(`${id}: no title`);
  const date = travailDate(entry.date);
  const url = entry.url?.trim() ?? "";
  const links: FicheLink[] = [];
  const sections: Section[] = [];
  const add = (path: string[], html: string | undefined) => {
    const converted = htmlToText(html ?? "", url || undefined);
    for (const link of converted.links) {
      if (!links.some((l) => l.target === link.url && l.text === link.text)) {
        links.push({ text: link.text, kind: "external", target: link.url });
      }
    }
    if (converted.text) sections.push({ path, text: converted.text });
  };
  add([], entry.intro);
  for (const section of entry.sections ?? []) {
    const heading = plainText(section.title ?? "");
    add(heading && heading !== title ? [heading] : [], section.html);
  }
  if (sections.length === 0) throw new Error(`${id}: empty body (no text in the intro nor in any section)`);
  return {
    id,
    title,
    description: plainText(entry.description ?? ""),
    url,
    audience: TRAVAIL_AUDIENCE,
    theme: TRAVAIL_THEME,
    subject: "",
    date,
    type: TRAVAIL_TYPE,
    sections,
    links,
    services: [],
    offices: [],
    references: references(entry),
    definitions: [],
    relatedQuestions: [],
  };
}

/**
 * The labour ministry's practical fiches (travail-emploi.gouv.fr) of the npm package
 * `@socialgouv/fiches-travail-data`: one JSON file holding every fiche.
 */
export function travailSource(packageDir = travailPackageDir()): FicheSource {
  const version = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string }).version;
  const file = join(packageDir, "data", "fiches-travail.json");
  return {
    name: "travail",
    location: `@socialgouv/fiches-travail-data@${version}`,
    list(): RawFiche[] {
      let entries: unknown;
      try {
        entries = JSON.parse(readFileSync(file, "utf8"));
      } catch (error) {
        throw new Error(`${file}: cannot read the labour fiches (${(error as Error).message})`, { cause: error });
      }
      if (!Array.isArray(entries)) throw new Error(`${file}: expected an array of fiches`);
      return entries.map((value: unknown, index) => {
        const entry = (value && typeof value === "object" ? value : {}) as TravailEntry;
        const id = typeof entry.pubId === "string" && entry.pubId.trim() ? entry.pubId.trim() : `travail#${index}`;
        return {
          id,
          origin: `${file}[${index}]`,
          hash: () => sha256(JSON.stringify(value)),
          load: () => {
            if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error(`${id}: not an object`);
            return travailFiche(entry);
          },
        };
      });
    },
    fingerprint: () =>
      sha256(`travail@${version}:${statSync(file).size}`).slice(0, 16),
  };
}
