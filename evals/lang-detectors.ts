import { eld as eldLarge } from "eld/large";
import { eld as eldSmall } from "eld/small";
import { francAll } from "franc-min";
import { detect as tinyld } from "tinyld";
import { DETECTED_LANGUAGES, detectLanguage } from "../tools/lang/detect.js";

/** A language detector under comparison: text → ISO 639-1 code among DETECTED_LANGUAGES, or "und". */
export type Detector = (text: string) => string;

const SUBSET = [...DETECTED_LANGUAGES];
const ISO3: Record<string, string> = { fra: "fr", eng: "en", spa: "es", por: "pt", arb: "ar", deu: "de", ita: "it" };

function eldDetector(base: typeof eldSmall): Detector {
  const instance = base.newInstance();
  instance.setLanguageSubset(SUBSET);
  return (text) => instance.detect(text).language || "und";
}

/** The raw libraries, each restricted to the supported languages, and Guichet's detector built on one of them. */
export function candidateDetectors(): Record<string, Detector> {
  return {
    "eld (large)": eldDetector(eldLarge),
    "eld (small)": eldDetector(eldSmall),
    tinyld: (text) => tinyld(text, { only: SUBSET }) || "und",
    "franc-min": (text) => {
      const best = francAll(text, { only: Object.keys(ISO3), minLength: 1 })[0];
      return best && best[0] !== "und" ? ISO3[best[0]]! : "und";
    },
    "guichet (eld small + rules)": (text) => detectLanguage(text).language,
  };
}
