import { findPhoneNumbers } from "../tools/guard/phones.js";

const spans = (text: string) => findPhoneNumbers(text).map((f) => [text.slice(f.startsAt, f.endsAt), f.number.number]);

describe("findPhoneNumbers", () => {
  it("finds French and international numbers with their offsets in the original text", () => {
    expect(spans("Appelez le 06 12 34 56 78 ou le +32 2 123 45 67.")).toEqual([
      ["06 12 34 56 78", "+33612345678"],
      ["+32 2 123 45 67", "+3221234567"],
    ]);
  });

  it("sees a number followed by citation markers (libphonenumber alone would read the brackets as digits)", () => {
    expect(spans("Appelez le 06 12 34 56 78 [1] ou le 01 23 45 67 89[2, 3].")).toEqual([
      ["06 12 34 56 78", "+33612345678"],
      ["01 23 45 67 89", "+33123456789"],
    ]);
  });

  it("reads digits of other scripts", () => {
    expect(spans("الرقم ٠٦ ١٢ ٣٤ ٥٦ ٧٨")).toEqual([["٠٦ ١٢ ٣٤ ٥٦ ٧٨", "+33612345678"]]);
  });

  it("finds nothing in a text with too few digits to hold a number", () => {
    expect(findPhoneNumbers("Le passeport coûte 86 € [1], délai 15 jours [2].")).toEqual([]);
    expect(findPhoneNumbers("")).toEqual([]);
  });
});
