/** A service-public.fr publication, parsed into reading-order sections plus its metadata. */
export interface Fiche {
  id: string;
  title: string;
  description: string;
  url: string;
  audience: string;
  /** Breadcrumb of the site (FilDAriane) without the home level and the fiche itself. */
  theme: string;
  subject: string;
  /** Last modification, YYYY-MM-DD. */
  date: string;
  type: string;
  sections: Section[];
  links: FicheLink[];
  services: OnlineService[];
  /** Offices to go to ("Où s'adresser"), with the page that finds the local one when the fiche gives it. */
  offices: Office[];
  references: FicheReference[];
  definitions: Definition[];
  relatedQuestions: RelatedQuestion[];
}

export interface Section {
  /** Headings below the fiche title (chapter, sub-chapter, situation, case...), outermost first. */
  path: string[];
  /** Blocks in reading order, one per line: paragraphs, "- " list items, table rows, notes. */
  text: string;
  /** Levels of `path` (0 = first heading) that are situations or cases (majeur / mineur…), not chapters. */
  situations?: number[];
}

export interface FicheLink {
  text: string;
  kind: "internal" | "intra" | "external";
  /** Target fiche id (internal, intra) or URL (external). */
  target: string;
}

export interface OnlineService {
  id: string;
  title: string;
  url: string;
  type: string;
  cerfa?: string;
}

export interface Office {
  title: string;
  /** "" when the fiche gives no page for it. */
  url: string;
}

export interface FicheReference {
  title: string;
  url: string;
}

export interface Definition {
  id: string;
  term: string;
  text: string;
}

export interface RelatedQuestion {
  id: string;
  question: string;
}
