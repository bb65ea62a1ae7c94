/*
 * HTML to clean text, in the line format of the XML parser (corpus/fiche-parser.ts): one block per line,
 * "- " list items (nested ones indented by two spaces, "1." for numbered lists), headings on their own line,
 * table rows as "first cell — header : value ; …" (or "cell | cell" without usable headers).
 *
 * Library: cheerio (its htmlparser2-only `cheerio/slim` entry point) parses the HTML and decodes the entities;
 * the walk below decides the layout. html-to-text was compared on the labour fiches: out of the box it wraps
 * lines at 80 columns, upper-cases headings, appends "[url]" after every link text, separates paragraphs with
 * blank lines and runs the cells of the site's tables (no data-table class) together in one line ("Rémunération
 * annuelleRémunération mensuelle…"); fixing that takes custom formatters for tables, lists and links, i.e. as
 * much code as this walk, and its 10.x release ships no TypeScript types. cheerio is typed, actively released
 * and leaves the output format entirely to us.
 */
import { load } from "cheerio/slim";

/** A link met in the HTML: its text and its absolute http(s) target. */
export interface HtmlLink {
  text: string;
  url: string;
}

export interface HtmlText {
  /** Lines separated by "\n", trimmed, without empty lines. */
  text: string;
  links: HtmlLink[];
}

/** The few fields of a parsed node (domhandler's) that the walk reads. */
interface HtmlNode {
  type: string;
  name?: string;
  data?: string;
  attribs?: Record<string, string>;
  children?: HtmlNode[];
}

/** Elements whose content is not text to read. */
const SKIPPED = new Set(["script", "style", "noscript", "template", "iframe", "svg", "img", "video", "audio", "source", "picture", "object", "embed", "head", "title", "meta", "link"]);

/** Elements that start and end a line (besides lists and tables, handled apart). */
const BLOCKS = new Set([
  "p", "div", "section", "article", "aside", "header", "footer", "main", "nav", "h1", "h2", "h3", "h4", "h5", "h6",
  "blockquote", "figure", "figcaption", "caption", "address", "details", "summary", "dl", "dt", "dd", "pre", "hr",
  "form", "fieldset", "legend", "center",
]);

const LISTS = new Set(["ul", "ol", "menu"]);

/** Stands for a <br> inside a run of inline content, until the run is cut into lines. */
const BREAK = "\u0001";

/**
 * Decorations of the site's design system (DSFR) that are not content: the tags and "Date de mise à jour" of the
 * cards pointing to other pages (that date is the other page's, not the fiche's).
 */
const SKIPPED_CLASSES = ["fr-card__start", "fr-card__end", "fr-card__header", "fr-tags-group", "fr-badges-group"];

function skipped(node: HtmlNode): boolean {
  if (SKIPPED.has(node.name ?? "")) return true;
  const classes = node.attribs?.class?.split(/\s+/) ?? [];
  return classes.some((name) => SKIPPED_CLASSES.includes(name));
}

/** An entity left in decoded text; "&nbsp" may lack its ";" (cut by a closing tag upstream). */
const ENTITY = /&(?:#\d+;|#x[0-9a-f]+;|[a-z][a-z0-9]*;|nbsp\b)/i;

/**
 * Text of a text node. The parser decoded the entities once; some fiches were escaped twice upstream
 * ("&amp;#039;", "&amp;nbsp;", once "&amp;nbsp</a>;"), so what still looks like an entity is decoded again, and an unknown name left
 * after that (a typo such as "&nsbp;") becomes a space.
 */
function textOf(node: HtmlNode): string {
  const data = node.data ?? "";
  if (!ENTITY.test(data)) return data;
  return load(data.replace(/</g, "&lt;").replace(/>/g, "&gt;"), null, false)
    .root()
    .text()
    .replace(new RegExp(ENTITY.source, "gi"), " ");
}

/** Cleans a piece of text: HTML whitespace collapsed, non-breaking and thin spaces made plain, invisible marks dropped. */
function clean(text: string): string {
  return text
    .replace(/\u200b|\u200c|\u200d|\u2060|\ufeff|\u00ad/g, "")
    .replace(/[\s\u00a0\u202f\u2007\u2009]+/g, " ")
    .trim();
}

function children(node: HtmlNode): HtmlNode[] {
  return node.children ?? [];
}

function isElement(node: HtmlNode): boolean {
  return node.type === "tag" || node.type === "script" || node.type === "style";
}

class HtmlWalker {
  readonly links: HtmlLink[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly base: string) {}

  /** Renders a node list to lines: runs of inline content become one line, blocks add their own. */
  lines(nodes: HtmlNode[]): string[] {
    const out: string[] = [];
    let inline: string[] = [];
    const flush = () => {
      for (const piece of inline.join("").split(BREAK)) {
        const line = clean(piece);
        if (line) out.push(line);
      }
      inline = [];
    };
    for (const node of nodes) {
      if (node.type === "text") inline.push(textOf(node));
      else if (node.name === "br") inline.push(BREAK);
      else if (!isElement(node) || skipped(node)) continue;
      else if (this.isBlock(node)) {
        flush();
        out.push(...this.block(node));
      } else {
        inline.push(this.inline(node));
      }
    }
    flush();
    return out;
  }

  /** An inline element that holds a block (a <span> around a <p>, a link around a list) is read as a block. */
  private isBlock(node: HtmlNode): boolean {
    const name = node.name ?? "";
    if (BLOCKS.has(name) || LISTS.has(name) || name === "table" || name === "li" || name === "tr") return true;
    return children(node).some((child) => isElement(child) && this.isBlock(child));
  }

  private block(node: HtmlNode): string[] {
    const name = node.name ?? "";
    if (LISTS.has(name)) return this.list(node);
    if (name === "table") return this.table(node);
    if (name === "li") return this.list({ type: "tag", name: "ul", children: [node] });
    if (name === "tr") return this.rows([node]);
    if (name === "a") this.link(node, clean(this.lines(children(node)).join(" ")));
    return this.lines(children(node));
  }

  /** Text of an inline element; links keep their text and record their target. */
  private inline(node: HtmlNode): string {
    const text = children(node)
      .map((child) => {
        if (child.type === "text") return textOf(child);
        if (child.name === "br") return BREAK;
        if (!isElement(child) || skipped(child)) return "";
        return this.inline(child);
      })
      .join("");
    if (node.name === "a") this.link(node, clean(text.split(BREAK).join(" ")));
    return text;
  }

  private link(node: HtmlNode, text: string): void {
    const href = node.attribs?.href?.trim();
    if (!href || href.startsWith("#")) return;
    let url: URL;
    try {
      url = new URL(href, this.base);
    } catch {
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return;
    const key = `${url.href}\u0000${text}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.links.push({ text: text || url.href, url: url.href });
  }

  /** "- item" lines ("1." for <ol>); nested lists indented by two spaces under their item. */
  private list(node: HtmlNode): string[] {
    const numbered = node.name === "ol";
    let number = Number.parseInt(node.attribs?.start ?? "1", 10) || 1;
    const out: string[] = [];
    for (const item of children(node)) {
      if (!isElement(item) || skipped(item)) {
        const stray = item.type === "text" ? clean(textOf(item)) : "";
        if (stray) out.push(stray);
        continue;
      }
      if (item.name !== "li") {
        out.push(...this.lines([item]));
        continue;
      }
      const marker = numbered ? `${number++}.` : "-";
      let head: string | undefined;
      const rest: string[] = [];
      let run: HtmlNode[] = [];
      const flushRun = () => {
        const text = this.lines(run).join(" ");
        run = [];
        if (!text) return;
        if (head === undefined) head = text;
        else rest.push(`  ${text}`);
      };
      for (const child of children(item)) {
        if (isElement(child) && LISTS.has(child.name ?? "")) {
          flushRun();
          head ??= "";
          rest.push(...this.list(child).map((line) => `  ${line}`));
        } else {
          run.push(child);
        }
      }
      flushRun();
      if (head === undefined && rest.length === 0) continue;
      out.push(`${marker} ${head ?? ""}`.trimEnd(), ...rest);
    }
    return out;
  }

  /** Caption, then one line per row: "first — header : value ; …" under a header row, else "cell | cell". */
  private table(node: HtmlNode): string[] {
    const out: string[] = [];
    const rows: HtmlNode[] = [];
    const collect = (parent: HtmlNode, inHead: boolean) => {
      for (const child of children(parent)) {
        if (!isElement(child)) continue;
        if (child.name === "caption") out.push(...this.lines(children(child)));
        else if (child.name === "tr") rows.push(inHead ? { ...child, attribs: { ...child.attribs, "data-head": "1" } } : child);
        else if (child.name === "thead" || child.name === "tbody" || child.name === "tfoot") collect(child, child.name === "thead");
      }
    };
    collect(node, false);
    out.push(...this.rows(rows));
    return out;
  }

  /**
   * Rows laid on a grid (rowspan repeats a cell on the rows below, colspan spreads a header over its columns and
   * a body cell only once). The leading header rows (in <thead>, or made of <th> only) combine per column
   * ("Durée maximale – Contrat de date à date"); every other row becomes one line.
   */
  private rows(rows: HtmlNode[]): string[] {
    interface Cell {
      text: string;
      /** False on the extra columns a body cell's colspan covers. */
      first: boolean;
      id: number;
    }
    const grid: Cell[][] = [];
    const header: boolean[] = [];
    const pending: (Cell & { rows: number })[] = [];
    let id = 0;
    for (const row of rows) {
      const cellNodes = children(row).filter((c) => isElement(c) && (c.name === "td" || c.name === "th"));
      const isHeader = row.attribs?.["data-head"] === "1" || (cellNodes.length > 0 && cellNodes.every((c) => c.name === "th"));
      const line: Cell[] = [];
      let column = 0;
      const fillSpanned = () => {
        while (pending[column] && pending[column]!.rows > 0) {
          const above = pending[column]!;
          above.rows -= 1;
          line[column] = { text: above.text, first: above.first, id: above.id };
          column += 1;
        }
      };
      for (const cellNode of cellNodes) {
        fillSpanned();
        const text = clean(this.lines(children(cellNode)).join(" "));
        const colspan = Math.max(1, Math.min(50, Number.parseInt(cellNode.attribs?.colspan ?? "1", 10) || 1));
        const rowspan = Math.max(1, Math.min(500, Number.parseInt(cellNode.attribs?.rowspan ?? "1", 10) || 1));
        id += 1;
        for (let k = 0; k < colspan; k += 1) {
          const cell = { text, first: isHeader || k === 0, id };
          line[column] = cell;
          pending[column] = { ...cell, rows: rowspan - 1 };
          column += 1;
        }
      }
      fillSpanned();
      while (column < pending.length) {
        if (pending[column] && pending[column]!.rows > 0) fillSpanned();
        else column += 1;
      }
      grid.push(Array.from(line, (cell) => cell ?? { text: "", first: true, id: 0 }));
      header.push(isHeader);
    }

    let headerRows = 0;
    while (headerRows < grid.length && header[headerRows]) headerRows += 1;
    if (headerRows === grid.length) headerRows = Math.min(headerRows, 1);
    const width = Math.max(0, ...grid.map((line) => line.length));
    const headers: string[] = [];
    for (let column = 0; column < width; column += 1) {
      const parts: string[] = [];
      const seen = new Set<number>();
      for (const line of grid.slice(0, headerRows)) {
        const cell = line[column];
        if (cell && cell.text && !seen.has(cell.id) && !parts.includes(cell.text)) parts.push(cell.text);
        if (cell) seen.add(cell.id);
      }
      headers.push(parts.join(" – "));
    }

    const out: string[] = [];
    for (const line of grid.slice(headerRows)) {
      const cells = line.map((cell) => (cell.first ? cell.text : ""));
      if (cells.every((cell) => !cell)) continue;
      if (headerRows > 0 && width > 1 && headers.some((h, i) => i > 0 && h)) {
        const [first = "", ...rest] = cells;
        const pairs = rest
          .map((value, i) => (value ? (headers[i + 1] ? `${headers[i + 1]} : ${value}` : value) : ""))
          .filter(Boolean);
        const lead = first || headers[0] || "";
        if (pairs.length === 0) out.push(first);
        else out.push(lead ? `${lead} — ${pairs.join(" ; ")}` : pairs.join(" ; "));
      } else {
        out.push(cells.filter(Boolean).join(" | "));
      }
    }
    // A table made of a header row only (a layout table) still says what it holds.
    if (out.length === 0 && headerRows > 0) out.push(headers.filter(Boolean).join(" | "));
    return out;
  }
}

/** Plain text (a title, a heading) cleaned like the converted HTML: entities decoded, spaces made plain. */
export function plainText(text: string): string {
  return clean(textOf({ type: "text", data: text }));
}

/**
 * Converts an HTML fragment to clean text lines (see the file comment); `base` resolves relative links.
 * Entities are decoded (`&nbsp;` and other non-breaking spaces become plain spaces).
 */
export function htmlToText(html: string, base = "https://travail-emploi.gouv.fr/"): HtmlText {
  const $ = load(html, null, false);
  const root = $.root().get(0) as unknown as HtmlNode;
  const walker = new HtmlWalker(base);
  const text = walker.lines(children(root)).join("\n");
  return { text, links: walker.links };
}
