export const LANGUAGES = ["fr", "en", "es", "pt", "ar", "de", "it"];
const cache = new Map();
let current = { code: "fr", strings: {} };

async function load(code) {
  if (!cache.has(code)) {
    const response = await fetch(new URL(`ui/i18n/${code}.json`, document.baseURI));
    if (!response.ok) throw new Error(`no strings for ${code}`);
    cache.set(code, await response.json());
  }
  return cache.get(code);
}

/** Switches the page's language: strings, `lang` and `dir` (Arabic is laid out right to left). */
export async function useLanguage(code) {
  const wanted = LANGUAGES.includes(code) ? code : "fr";
  let strings;
  try {
    strings = await load(wanted);
    current = { code: wanted, strings, fallback: wanted === "fr" ? strings : await load("fr") };
  } catch {
    current = { code: "fr", strings: await load("fr") };
  }
  document.documentElement.lang = current.code;
  document.documentElement.dir = current.strings.dir === "rtl" ? "rtl" : "ltr";
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll("[data-i18n-aria-label]")) element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
  document.title = t("page_title");
  return current.code;
}

export const language = () => current.code;

/** A string of the current language with its `{placeholders}` filled; the French one when a key is missing. */
export function t(key, vars = {}) {
  const template = current.strings[key] ?? current.fallback?.[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** A date (YYYY-MM-DD) in the current language's long form. */
export function longDate(iso) {
  const date = new Date(`${iso}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(current.code, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(date);
}
