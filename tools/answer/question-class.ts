import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { foldWords } from "../lang/fold.js";
import { readJson } from "../lexicon/read.js";
import { bestClass, predictSparse, type SparseLogisticModel, type SparseVector } from "../learn/sparse-logistic.js";
import { textFeatures } from "../learn/text-features.js";

/** What a question asks for. */
export const QUESTION_CLASSES = [
  "amount",
  "duration",
  "date",
  "threshold",
  "procedure",
  "where",
  "eligibility",
  "consequence",
  "definition",
] as const;
export type QuestionClass = (typeof QUESTION_CLASSES)[number];

export interface ClassifiedQuestion {
  questionClass: QuestionClass;
  /** "model" when the learnt model decided, "rules" when only the cues did (no model file), "default" when neither. */
  source: "model" | "rules" | "default";
  /** The classes whose cues matched, in rule order. */
  cues: QuestionClass[];
}

const cueFile = readJson(
  "question-classes.json",
  z.object({ order: z.array(z.enum(QUESTION_CLASSES)), cues: z.record(z.enum(QUESTION_CLASSES), z.array(z.string())) }),
);
const CUES: Array<[QuestionClass, RegExp[]]> = cueFile.order.map((cls) => [cls, (cueFile.cues[cls] ?? []).map((s) => new RegExp(s, "u"))]);

/** The question's folded words joined by single spaces: what the cues are written against. */
export function foldedQuestion(question: string): string {
  return foldWords(question).join(" ");
}

/** Classes whose cues match, in rule order. */
export function cueClasses(question: string): QuestionClass[] {
  const folded = foldedQuestion(question);
  return CUES.filter(([, patterns]) => patterns.some((p) => p.test(folded))).map(([cls]) => cls);
}

/** Features of the learnt model: the question's words and word pairs, plus which cues matched (first one apart). */
export function questionClassFeatures(question: string, cues = cueClasses(question)): SparseVector {
  const features = textFeatures(question, { wordNgrams: 2, charNgrams: [] });
  cues.forEach((cls, i) => features.set(i === 0 ? `first-cue:${cls}` : `cue:${cls}`, 1));
  return features;
}

export const QUESTION_CLASS_MODEL_FILE = fileURLToPath(new URL("../../models/question-class.json", import.meta.url));

const modelSchema = z.object({
  classes: z.array(z.enum(QUESTION_CLASSES)),
  byClass: z.record(z.string(), z.object({ bias: z.number(), weights: z.record(z.string(), z.number()) })),
  trainedOn: z.string(),
  lambda: z.number(),
});
export type QuestionClassModel = z.infer<typeof modelSchema>;

export function loadQuestionClassModel(file = QUESTION_CLASS_MODEL_FILE): QuestionClassModel | null {
  if (!existsSync(file)) return null;
  return modelSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

let defaultModel: QuestionClassModel | null | undefined;

/**
 * Rules plus a model learnt on the dev split (`npm run train:answer`): the cues of lexicon/question-classes.json
 * are features of the model, next to the question's words; without a model file the first cue decides.
 * "Combien de temps" is a duration, not an amount: the cue order says so, and the model sees it.
 */
export function classifyQuestion(question: string, model?: QuestionClassModel | null): ClassifiedQuestion {
  if (model === undefined) {
    defaultModel ??= loadQuestionClassModel();
    model = defaultModel;
  }
  const cues = cueClasses(question);
  if (model) {
    const { label } = bestClass(predictSparse(model as SparseLogisticModel, questionClassFeatures(question, cues)));
    return { questionClass: label as QuestionClass, source: "model", cues };
  }
  if (cues.length > 0) return { questionClass: cues[0]!, source: "rules", cues };
  return { questionClass: "procedure", source: "default", cues };
}
