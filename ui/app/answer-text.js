import { h } from "./dom.js";

/**
 * The answer's plain text as elements: paragraphs on blank lines, lists for lines starting with "- " or "• ",
 * and each `[n]` marker a link to citation n of the same turn. Never parsed as HTML.
 */
export function answerBlocks(text, citationAnchor) {
  const blocks = [];
  for (const paragraph of text.split(/\n{2,}/)) {
    const lines = paragraph.split("\n").filter((line) => line.trim() !== "");
    if (lines.length === 0) continue;
    let list;
    let prose = [];
    const flushProse = () => {
      // One line of the fiche per line on screen: the extractive answer puts each case ("À partir de 18 ans : …") on its own.
      if (prose.length > 0) blocks.push(h("p", {}, prose.flatMap((line, i) => [...(i > 0 ? [h("br")] : []), ...withMarkers(line, citationAnchor)])));
      prose = [];
    };
    for (const line of lines) {
      const item = /^\s*(?:[-•*]|\d+[.)])\s+(.*)$/.exec(line);
      if (item) {
        flushProse();
        if (!list) blocks.push((list = h("ul")));
        list.append(h("li", {}, withMarkers(item[1], citationAnchor)));
      } else {
        list = undefined;
        prose.push(line);
      }
    }
    flushProse();
  }
  return blocks;
}

function withMarkers(text, citationAnchor) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d{1,2})\]/g)) {
    const anchor = citationAnchor(Number(match[1]));
    if (!anchor) continue;
    parts.push(text.slice(last, match.index));
    parts.push(h("sup", {}, h("a", { href: `#${anchor.id}`, class: "guichet-marker", "aria-label": anchor.label, text: `[${match[1]}]` })));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}
