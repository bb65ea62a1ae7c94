/**
 * The input guard's decision on one question, in order: the cheap checks first (empty, length, control
 * characters) before any work, then normalisation, personal-data redaction, the rules (injection scoring, with
 * forgery requests as fraud; insults and threats as harm), the learnt classifier on what the rules let through,
 * and scope. A message of distress is never refused: it is flagged so that the answer opens with the helplines.
 */
import { detectAbuse } from "./abuse.js";
import { classifyGuard, type GuardModel, type GuardPrediction } from "./classifier.js";
import { detectDistress } from "./distress.js";
import { detectFraud, detectHarm } from "./harm-fraud.js";
import { scoreInjection, THRESHOLD, type InjectionVerdict } from "./injection.js";
import { normalizeText, type NormalizationFlag } from "./normalize.js";
import { redactPii, type PiiType } from "./pii.js";
import { detectOutOfScope } from "./scope.js";

export type GuardReason = "empty" | "too_long" | "control_characters" | "injection" | "harm" | "fraud" | "out_of_scope";

export interface Inspection {
  reason: GuardReason | null;
  /** The question to use from here on: NFKC, invisible characters removed, personal data replaced. */
  question: string;
  redacted: PiiType[];
  flags: NormalizationFlag[];
  injection: InjectionVerdict | null;
  /** The learnt classifier's verdict (null without a model, or when the rules decided first). */
  learned: GuardPrediction | null;
  /** A message of despair or suicidal thoughts: answered, the helplines first. */
  distress: boolean;
}

// C0 and C1 controls except tab, line feed and carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** Length in characters as the user sees them: composed (NFC) code points, so "é" typed as e + accent counts once. */
export function questionLength(question: string): number {
  return [...question.normalize("NFC")].length;
}

export interface InspectOptions {
  maxLength: number;
  injectionThreshold?: number;
  /** The learnt classifier: the committed model by default, null for the rules alone. */
  model?: GuardModel | null;
}

/** The checks done before any work: empty, too long, control characters (in that order). */
export function basicCheck(raw: unknown, maxLength: number): "empty" | "too_long" | "control_characters" | undefined {
  if (typeof raw !== "string" || raw.trim() === "") return "empty";
  if (questionLength(raw) > maxLength) return "too_long";
  if (CONTROL.test(raw)) return "control_characters";
  return undefined;
}

export function inspectQuestion(raw: unknown, { maxLength, injectionThreshold = THRESHOLD, model }: InspectOptions): Inspection {
  const basic = basicCheck(raw, maxLength);
  if (basic || typeof raw !== "string") {
    return { reason: basic ?? "empty", question: "", redacted: [], flags: [], injection: null, learned: null, distress: false };
  }

  const normalized = normalizeText(raw);
  const redaction = redactPii(normalized.clean);
  const distress = detectDistress(normalized.views);
  const base = { question: redaction.text, redacted: redaction.types, flags: normalized.flags, learned: null, distress };
  if (redaction.text.trim() === "" || /^(?:\[[A-Z_]+\][\s,.;]*)+$/.test(redaction.text)) {
    // Only personal data and nothing to search for: answered as an empty question, without the data.
    return { ...base, reason: "empty", injection: null };
  }
  const injection = scoreInjection(normalized, injectionThreshold);
  if (injection.blocked) return { ...base, reason: injection.technique === "forgery" ? "fraud" : "injection", injection };
  if (detectAbuse(normalized.views) || detectHarm(normalized.views)) return { ...base, reason: "harm", injection };
  if (detectFraud(normalized.views)) return { ...base, reason: "fraud", injection };
  if (detectOutOfScope(normalized.views)) return { ...base, reason: "out_of_scope", injection };
  const learned = classifyGuard(normalized.views, model);
  if (learned?.label === "distress") return { ...base, learned, distress: true, reason: null, injection };
  // Distress is answered even when the words sound like harm ("je vais me tuer").
  if (learned && learned.label !== "none" && !distress) return { ...base, learned, reason: learned.label, injection };
  return { ...base, learned, reason: null, injection };
}
