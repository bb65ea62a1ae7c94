import { foldWords } from "../lang/fold.js";
import type { SparseVector } from "./sparse-logistic.js";

export interface TextFeatureOptions {
  /** Longest word n-gram (1 = words only). */
  wordNgrams: number;
  /** Character n-gram sizes over the folded text with word boundaries marked ("" = none). */
  charNgrams: number[];
}

/** Word and character n-grams of a text, folded (case, accents, Arabic marks), each counted once. */
export function textFeatures(text: string, options: TextFeatureOptions): SparseVector {
  const words = foldWords(text);
  const features: SparseVector = new Map();
  for (let n = 1; n <= options.wordNgrams; n++) {
    for (let i = 0; i + n <= words.length; i++) features.set(`w:${words.slice(i, i + n).join(" ")}`, 1);
  }
  if (options.charNgrams.length > 0) {
    const joined = ` ${words.join(" ")} `;
    for (const n of options.charNgrams) {
      for (let i = 0; i + n <= joined.length; i++) features.set(`c:${joined.slice(i, i + n)}`, 1);
    }
  }
  return features;
}
