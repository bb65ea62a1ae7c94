import { parseFiche } from "../corpus/fiche-parser.js";
import { childElements, firstChild, fromXmlJs, fromXmlString, GLUE, isElement, joinInline, textOf } from "../corpus/xml-tree.js";

describe("fromXmlJs (npm snapshot shape)", () => {
  it("converts elements, stringifies numeric text and attributes, reads CDATA", () => {
    const root = fromXmlJs({
      declaration: { attributes: { version: "1.0" } },
      children: [
        { type: "comment" },
        {
          type: "element",
          name: "Publication",
          attributes: { ID: "F1", numero: 3 },
          children: [
            { type: "text", text: 42 },
            { type: "cdata", cdata: "<brut>" },
            { type: "element", name: "Vide" },
          ],
        },
      ],
    } as unknown as Parameters<typeof fromXmlJs>[0]);
    expect(root).toEqual({
      type: "element",
      name: "Publication",
      attributes: { ID: "F1", numero: "3" },
      children: [
        { type: "text", text: "42" },
        { type: "text", text: "<brut>" },
        { type: "element", name: "Vide", attributes: {}, children: [] },
      ],
    });
  });

  it("throws when the document has no root element", () => {
    expect(() => fromXmlJs({ children: [] })).toThrow("document has no root element");
    expect(() => fromXmlJs({})).toThrow("document has no root element");
  });
});

describe("fromXmlString (raw XML)", () => {
  it("skips the declaration and comments, keeps attributes and decodes entities", () => {
    const root = fromXmlString(
      '<?xml version="1.0" encoding="UTF-8"?><!-- note --><P a="1&amp;2">Tom &amp; Jerry&nbsp;: <![CDATA[<x>]]><!-- c --></P>',
    );
    expect(root.name).toBe("P");
    expect(root.attributes).toEqual({ a: "1&2" });
    expect(textOf(root)).toBe("Tom & Jerry : <x>");
    expect(root.children.every((c) => c.type === "text")).toBe(true);
  });

  it("keeps whitespace inside text so inline pieces join correctly", () => {
    const root = fromXmlString("<P>Le délai est de <Valeur>2 mois</Valeur> à compter de la <Expression>date limite</Expression>.</P>");
    expect(textOf(root)).toBe("Le délai est de 2 mois à compter de la date limite.");
  });
});

describe("tree helpers", () => {
  const root = fromXmlString("<R><A>1</A>texte<B>2</B><A>3</A></R>");

  it("selects child elements by name", () => {
    expect(childElements(root).map((c) => c.name)).toEqual(["A", "B", "A"]);
    expect(childElements(root, "A").map((c) => textOf(c))).toEqual(["1", "3"]);
    expect(textOf(firstChild(root, "B"))).toBe("2");
    expect(firstChild(root, "C")).toBeUndefined();
    expect(root.children.filter(isElement)).toHaveLength(3);
  });

  it("textOf folds whitespace and is empty for a missing node", () => {
    expect(textOf(undefined)).toBe("");
    expect(textOf(fromXmlString("<T>  Combien\n  coûte\u00a0un   passeport ? </T>"))).toBe("Combien coûte un passeport ?");
  });
});

describe("joinInline", () => {
  it("restores a space between trimmed words but not before punctuation or after an opening mark", () => {
    expect(joinInline(["Le passeport coûte", "86 €", "."])).toBe("Le passeport coûte 86 €.");
    expect(joinInline(["voir", "(", "article 3", ")", ","])).toBe("voir (article 3),");
    expect(joinInline(["l'", "assurance"])).toBe("l'assurance");
    expect(joinInline(["« ", "citation", " »"])).toBe("« citation »");
  });

  it("glues superscripts to the previous piece", () => {
    expect(joinInline(["le 1", `${GLUE}er`, "janvier"])).toBe("le 1er janvier");
    expect(joinInline(["2", `${GLUE}e`, " anniversaire"])).toBe("2e anniversaire");
  });

  it("keeps explicit spaces and drops empty pieces", () => {
    expect(joinInline(["a", " ", "", "b"])).toBe("a b");
    expect(joinInline(["", " ", ""])).toBe("");
    expect(joinInline(["fin", " .", "suite"])).toBe("fin. suite");
  });
});

describe("parseFiche reading order of loose text and titles", () => {
  it("keeps bare text of a chapter and a title met inside a text block", () => {
    const fiche = parseFiche(
      fromXmlString(
        '<Publication ID="F5"><dc:title>T</dc:title>' +
          "<Introduction><Texte><Titre>Titre d'intro</Titre><Paragraphe>Intro.</Paragraphe></Texte></Introduction>" +
          "<Texte><Chapitre><Titre>C</Titre>texte nu<Paragraphe>p</Paragraphe></Chapitre></Texte></Publication>",
      ),
    );
    expect(fiche.sections).toEqual([
      { path: [], text: "Titre d'intro\nIntro." },
      { path: ["C"], text: "texte nu\np" },
    ]);
  });
});
