/** A searchable passage of a fiche: one section (or part of a long one) with its breadcrumb. */
export interface Chunk {
  /** `${ficheId}#${index}` */
  id: string;
  ficheId: string;
  title: string;
  /** Headings below the title, outermost first. */
  path: string[];
  /** "Fiche title > chapter > case", as shown to users. */
  breadcrumb: string;
  text: string;
  /** The fiche's summary (dc:description), on its first chunk only: searched, never quoted (it is often cut short). */
  summary?: string;
  url: string;
  audience: string;
  theme: string;
  date: string;
  source: string;
  /** Levels of `path` (0 = first heading) that are situations or cases the fiche branches on, not chapters. */
  situations?: number[];
  /** Online services, forms and offices this passage points to, with their pages: shown as links, never as prose. */
  actions?: ChunkAction[];
}

/** A link a citizen can act on: an online service or form of the fiche, or the office to go to. */
export interface ChunkAction {
  title: string;
  url: string;
  kind: ActionKind;
}

export type ActionKind = "online_service" | "form" | "simulator" | "letter_template" | "office";
