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
}
