import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WEB_DIR } from "../server/web-routes.js";

const strings = (code: string) => JSON.parse(readFileSync(join(WEB_DIR, "i18n", `${code}.json`), "utf8")) as Record<string, string>;
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const french = strings("fr");
const languages = readdirSync(join(WEB_DIR, "i18n")).map((file) => file.replace(/\.json$/, ""));

describe("the chat page's strings", () => {
  it("come in the seven languages of the selector", () => {
    const html = readFileSync(join(WEB_DIR, "index.html"), "utf8");
    const offered = [...html.matchAll(/<option value="(\w+)"/g)].map((m) => m[1]).sort();
    expect(languages.sort()).toEqual(offered);
    expect(offered).toEqual(["ar", "de", "en", "es", "fr", "it", "pt"]);
  });

  it.each(languages.filter((code) => code !== "fr"))("%s has every French key, with the same placeholders", (code) => {
    const translated = strings(code);
    expect(Object.keys(translated)).toEqual(Object.keys(french));
    for (const [key, text] of Object.entries(french)) {
      expect([key, placeholders(translated[key]!)]).toEqual([key, placeholders(text)]);
      expect(translated[key]!.trim()).not.toBe("");
    }
    expect(translated.dir).toBe(code === "ar" ? "rtl" : "ltr");
  });

  it("has every key the page and its modules ask for, and no key nobody asks for", () => {
    const html = readFileSync(join(WEB_DIR, "index.html"), "utf8");
    const modules = readdirSync(join(WEB_DIR, "app")).map((file) => readFileSync(join(WEB_DIR, "app", file), "utf8")).join("\n");
    const asked = new Set([
      ...[...html.matchAll(/data-i18n(?:-aria-label)?="(\w+)"/g)].map((m) => m[1]!),
      ...[...modules.matchAll(/\bt\("(\w+)"/g)].map((m) => m[1]!),
    ]);
    for (const key of asked) expect([key, key in french]).toEqual([key, true]);
    // Keys built from a prefix: progress_, blocked_, degraded_, error_, feedback_reason_, pii_.
    const prefixes = [...modules.matchAll(/`(\w+_)\$\{/g)].map((m) => m[1]!);
    // …and keys named in tables or conditions (`PROGRESS`, `controller ? "sending" : "send"`).
    const literals = new Set([...modules.matchAll(/"(\w+)"/g)].map((m) => m[1]!));
    const unused = Object.keys(french).filter(
      (key) => !asked.has(key) && !literals.has(key) && !prefixes.some((p) => key.startsWith(p)) && key !== "lang_name" && key !== "dir",
    );
    expect(unused).toEqual([]);
  });
});
