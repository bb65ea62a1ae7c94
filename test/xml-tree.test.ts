import { fromXmlString, joinInline, textOf } from "../corpus/xml-tree.js";

describe("xml tree", () => {
  it("keeps mixed content in reading order", () => {
    const root = fromXmlString("<P>Le passeport coûte <Valeur>86 €</Valeur>.</P>");
    expect(textOf(root)).toBe("Le passeport coûte 86 €.");
  });

  it("restores spaces around trimmed inline pieces but not before punctuation", () => {
    expect(joinInline(["Le passeport coûte", "86 €", "."])).toBe("Le passeport coûte 86 €.");
  });
});
