import type { Fiche, FicheLink, Office, OnlineService, Section } from "./fiche.js";
import { childElements, firstChild, GLUE, isElement, joinInline, textOf, type XElement, type XNode } from "./xml-tree.js";

/** Elements that open a new section; their `Titre` becomes one level of the breadcrumb. */
const SECTIONING = new Set(["Chapitre", "SousChapitre", "Situation", "Cas"]);
/** Inline elements: their text flows into the surrounding paragraph. */
const INLINE = new Set([
  "MiseEnEvidence",
  "Valeur",
  "Expression",
  "Exposant",
  "Indice",
  "LienInterne",
  "LienIntra",
  "LienExterne",
  "Citation",
  "TermeEtranger",
  "Variable",
]);
/** Elements never rendered: personalisation conditions, images, alternative titles. */
const SKIPPED = new Set(["Condition", "Image", "TitreAlternatif", "Colonne", "Resume", "Source", "PivotLocal"]);
const NOTES = new Set(["ASavoir", "ANoter", "Attention", "Rappel", "Exemple"]);
const NOTE_LABEL: Record<string, string> = {
  ASavoir: "À savoir",
  ANoter: "À noter",
  Attention: "Attention",
  Rappel: "Rappel",
  Exemple: "Exemple",
};

export class FicheParseError extends Error {
  constructor(
    readonly ficheId: string,
    message: string,
  ) {
    super(`${ficheId}: ${message}`);
    this.name = "FicheParseError";
  }
}

/** Parses a `Publication` root (any 3.x schema) into a Fiche with its sections in reading order. */
export function parseFiche(root: XElement): Fiche {
  if (root.name !== "Publication") throw new FicheParseError(root.attributes.ID ?? "?", "root is not Publication");
  const id = root.attributes.ID ?? textOf(firstChild(root, "dc:identifier"));
  if (!id) throw new FicheParseError("?", "missing ID");
  const title = textOf(firstChild(root, "dc:title"));
  if (!title) throw new FicheParseError(id, "missing title");

  const ctx = new RenderContext();
  const sections: Section[] = [];
  const description = textOf(firstChild(root, "dc:description"));

  const intro = firstChild(root, "Introduction");
  const introText = intro ? ctx.blocks(intro.children) : "";
  if (introText) sections.push({ path: [], text: dedupeLines(introText) });

  for (const child of childElements(root)) {
    if (child.name === "Texte") ctx.sectionize(child, [], sections, true);
    else if (child.name === "ListeSituations") ctx.sectionize(child, [], sections, true);
    else if (child.name === "Avertissement") {
      const text = ctx.blocks(childElements(child, "Texte"));
      if (text) sections.push({ path: [`Avertissement : ${textOf(firstChild(child, "Titre"))}`], text });
    } else if (child.name === "ServiceEnLigne") ctx.service(child);
    else if (child.name === "OuSAdresser") ctx.whereToGo(child);
  }

  const services = ctx.services;
  if (services.length > 0) {
    sections.push({
      path: ["Services en ligne"],
      text: services.map((s) => `- ${s.title}${s.cerfa ? ` (cerfa n°${s.cerfa})` : ""}`).join("\n"),
    });
  }
  if (ctx.offices.length > 0) {
    sections.push({ path: ["Où s'adresser ?"], text: ctx.offices.map((o) => `- ${o.title}`).join("\n") });
  }

  const definitions = childElements(root, "Definition").map((def) => ({
    id: def.attributes.ID ?? "",
    term: textOf(firstChild(def, "Titre")),
    text: ctx.blocks(childElements(def, "Texte")).replace(/\n/g, " "),
  }));
  const abbreviations = childElements(root, "Abreviation").map((abbr) => ({
    id: abbr.attributes.ID ?? "",
    term: textOf(firstChild(abbr, "Titre")),
    text: textOf(firstChild(abbr, "Texte")),
  }));
  const glossary = [...definitions, ...abbreviations].filter((d) => d.term && d.text);
  if (glossary.length > 0) {
    sections.push({ path: ["Définitions"], text: glossary.map((d) => `${d.term} : ${d.text}`).join("\n") });
  }

  const references = childElements(root, "Reference").map((ref) => ({
    title: textOf(firstChild(ref, "Titre")),
    url: ref.attributes.URL ?? "",
  }));

  const nonEmpty = sections.filter((s) => s.text.trim() !== "");
  if (nonEmpty.length === 0) throw new FicheParseError(id, "empty body");

  return {
    id,
    title,
    description,
    url: root.attributes.spUrl ?? `https://www.service-public.fr/particuliers/vosdroits/${id}`,
    audience: textOf(firstChild(root, "Audience")) || "Particuliers",
    theme: childElements(firstChild(root, "FilDAriane") ?? emptyElement(), "Niveau")
      .filter((n, level) => level > 0 && n.attributes.ID !== id)
      .map((n) => textOf(n))
      .join(" > "),
    subject: textOf(firstChild(root, "dc:subject")),
    date: parseModifiedDate(textOf(firstChild(root, "dc:date"))),
    type: textOf(firstChild(root, "dc:type")),
    sections: nonEmpty,
    links: dedupeLinks(ctx.links),
    services,
    offices: ctx.offices,
    references,
    definitions: glossary,
    relatedQuestions: childElements(root, "QuestionReponse").map((qr) => ({
      id: qr.attributes.ID ?? "",
      question: textOf(qr),
    })),
  };
}

function parseModifiedDate(value: string): string {
  return /(\d{4}-\d{2}-\d{2})/.exec(value)?.[1] ?? "";
}

function emptyElement(): XElement {
  return { type: "element", name: "", attributes: {}, children: [] };
}

function dedupeLinks(links: FicheLink[]): FicheLink[] {
  const seen = new Set<string>();
  return links.filter((link) => {
    const key = `${link.kind}|${link.target}|${link.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function dedupeLines(text: string): string {
  return [...new Set(text.split("\n"))].join("\n");
}

/** Renders blocks to text and gathers link and service metadata met on the way. */
class RenderContext {
  readonly links: FicheLink[] = [];
  readonly services: OnlineService[] = [];
  readonly offices: Office[] = [];
  private readonly serviceIds = new Set<string>();

  /**
   * Emits one section for `node`'s own blocks (under `path`), then one per sectioning descendant.
   * `isRoot` marks a container (Texte, ListeSituations) that has no title of its own.
   */
  sectionize(node: XElement, path: string[], out: Section[], isRoot = false, levels: boolean[] = []): void {
    const opens = !isRoot && SECTIONING.has(node.name);
    const ownPath = opens ? [...path, textOf(firstChild(node, "Titre"))] : path;
    // Which levels of the path are situations or cases (majeur / mineur…) rather than chapters.
    const ownLevels = opens ? [...levels, node.name === "Situation" || node.name === "Cas"] : levels;
    const own: string[] = [];
    const nested: Array<{ node: XElement; path: string[] }> = [];
    this.splitSections(node.children, ownPath, own, nested);
    const text = own.filter(Boolean).join("\n");
    const situations = ownLevels.flatMap((isSituation, level) => (isSituation ? [level] : []));
    if (text) out.push({ path: ownPath, text, ...(situations.length > 0 ? { situations } : {}) });
    for (const child of nested) this.sectionize(child.node, child.path, out, false, ownLevels);
  }

  private splitSections(
    children: XNode[],
    path: string[],
    own: string[],
    nested: Array<{ node: XElement; path: string[] }>,
  ): void {
    for (const child of children) {
      if (!isElement(child)) {
        const text = child.text.trim();
        if (text) own.push(text);
        continue;
      }
      if (SECTIONING.has(child.name)) nested.push({ node: child, path });
      else if (["Texte", "BlocCas", "ListeSituations", "FragmentConditionne", "Introduction"].includes(child.name))
        this.splitSections(child.children, path, own, nested);
      else if (child.name !== "Titre") own.push(this.block(child));
    }
  }

  /** Renders a list of block nodes to lines of text. */
  blocks(children: XNode[]): string {
    return children
      .map((child) => (isElement(child) ? this.block(child) : child.text.trim()))
      .filter(Boolean)
      .join("\n");
  }

  private block(node: XElement): string {
    if (SKIPPED.has(node.name)) return "";
    if (INLINE.has(node.name)) return this.inline(node);
    switch (node.name) {
      case "Paragraphe":
        return this.inline(node);
      case "Titre":
        return textOf(node);
      case "Liste":
        return this.list(node, "");
      case "Tableau":
        return this.table(node);
      case "ServiceEnLigne": {
        const service = this.service(node);
        return service ? `Service en ligne : ${service.title}` : "";
      }
      case "OuSAdresser":
        return this.whereToGo(node);
      default:
        if (NOTES.has(node.name)) {
          const label = textOf(firstChild(node, "Titre")) || NOTE_LABEL[node.name] || node.name;
          const body = this.blocks(node.children.filter((c) => !(isElement(c) && c.name === "Titre")));
          return body ? `${label} : ${body}` : "";
        }
        if (SECTIONING.has(node.name)) {
          const title = textOf(firstChild(node, "Titre"));
          const body = this.blocks(node.children.filter((c) => !(isElement(c) && c.name === "Titre")));
          return [title, body].filter(Boolean).join("\n");
        }
        return this.blocks(node.children);
    }
  }

  private inline(node: XElement): string {
    return joinInline(this.inlinePieces(node));
  }

  private inlinePieces(node: XNode): string[] {
    if (node.type === "text") return [node.text];
    if (SKIPPED.has(node.name)) return [];
    const pieces = node.children.flatMap((child) => this.inlinePieces(child));
    const linkText = joinInline(pieces) || node.attributes.commentaireLien || "";
    if (node.name === "LienInterne" && node.attributes.LienPublication) {
      this.links.push({ text: linkText, kind: "internal", target: node.attributes.LienPublication });
    } else if (node.name === "LienIntra" && node.attributes.LienID) {
      this.links.push({ text: linkText, kind: "intra", target: node.attributes.LienID });
    } else if (node.name === "LienExterne" && node.attributes.URL) {
      this.links.push({ text: linkText, kind: "external", target: node.attributes.URL });
    }
    if (node.name === "Exposant" || node.name === "Indice") return [`${GLUE}${linkText}`];
    if (node.name === "Paragraphe" || node.name === "Liste" || node.name === "Item") return [` ${linkText} `];
    return pieces.length > 1 ? [` ${linkText} `] : pieces;
  }

  private list(node: XElement, indent: string): string {
    const numbered = node.attributes.type === "numero";
    return childElements(node, "Item")
      .map((item, index) => {
        const marker = numbered ? `${index + 1}.` : "-";
        const parts = childElements(item)
          .filter((c) => c.name !== "Condition")
          .map((c) => (c.name === "Liste" ? `\n${this.list(c, `${indent}  `)}` : this.block(c)))
          .filter(Boolean);
        return `${indent}${marker} ${parts.join(" ").replace(/ \n/g, "\n")}`;
      })
      .join("\n");
  }

  /** Tables become one readable line per row: "first cell — header: value ; header: value". */
  private table(node: XElement): string {
    const lines: string[] = [];
    const caption = textOf(firstChild(node, "Titre") ?? firstChild(node, "TitreRiche"));
    if (caption) lines.push(caption);
    let headers: string[] = [];
    for (const row of childElements(node, "Rangée")) {
      const cells = childElements(row, "Cellule").map((cell) => this.blocks(cell.children).replace(/\n/g, " "));
      if (row.attributes.type === "header") {
        headers = cells;
        continue;
      }
      if (headers.length === cells.length && headers.length > 1) {
        const [first, ...rest] = cells;
        lines.push(`${first} — ${rest.map((value, i) => `${headers[i + 1]} : ${value}`).join(" ; ")}`);
      } else {
        lines.push(cells.join(" | "));
      }
    }
    return lines.join("\n");
  }

  service(node: XElement): OnlineService | undefined {
    const title = textOf(firstChild(node, "Titre"));
    if (!title) return undefined;
    const service: OnlineService = {
      id: node.attributes.ID ?? "",
      title,
      url: node.attributes.URL ?? "",
      type: node.attributes.type ?? "",
      ...(node.attributes.numerocerfa ? { cerfa: node.attributes.numerocerfa } : {}),
    };
    if (!this.serviceIds.has(service.id || title)) {
      this.serviceIds.add(service.id || title);
      this.services.push(service);
    }
    return service;
  }

  whereToGo(node: XElement): string {
    const title = textOf(firstChild(node, "Titre"));
    const url = firstChild(node, "RessourceWeb")?.attributes.URL ?? "";
    const known = this.offices.find((o) => o.title === title);
    if (title && !known) this.offices.push({ title, url });
    else if (known && !known.url && url) known.url = url;
    const details = this.blocks(childElements(node, "Texte"));
    return [title ? `Où s'adresser : ${title}` : "", details].filter(Boolean).join("\n");
  }
}
