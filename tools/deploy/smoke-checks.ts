import type { SmokeExpectation } from "./smoke-questions.js";

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function citationProblems(expected: boolean, citations: unknown): string[] {
  if (!Array.isArray(citations)) return ["no citations field"];
  if (!expected) return citations.length === 0 ? [] : [`${plural(citations.length, "citation")}, expected none`];
  if (citations.length === 0) return ["no citations"];
  return citations.flatMap((c: unknown, i) => {
    const url = isObject(c) ? c.url : undefined;
    return typeof url === "string" && /^https:\/\/[^\s/]+/.test(url) ? [] : [`citation ${i + 1} has no https URL (${String(url)})`];
  });
}

function blockedProblems(expected: false | string, blocked: unknown): string[] {
  const reason = isObject(blocked) ? String(blocked.reason) : undefined;
  if (expected === false) return blocked === false ? [] : [`refused (${reason ?? String(blocked)}), expected an answer`];
  if (reason === undefined) return [`not refused, expected a refusal "${expected}"`];
  return reason === expected ? [] : [`refused as "${reason}", expected "${expected}"`];
}

/** What is wrong with an answer (the JSON of /invoke, or the final event of /stream) against its expectation. */
export function answerProblems(expect: SmokeExpectation, body: unknown): string[] {
  if (!isObject(body)) return ["the response is not a JSON object"];
  const problems: string[] = [];
  if (typeof body.answer !== "string" || body.answer.trim() === "") problems.push("no answer text");
  if (expect.citations !== undefined) problems.push(...citationProblems(expect.citations, body.citations));
  if (expect.blocked !== undefined) problems.push(...blockedProblems(expect.blocked, body.blocked));
  if (expect.redacted) {
    const redacted = Array.isArray(body.redacted) ? body.redacted.map(String) : [];
    const missing = expect.redacted.filter((kind) => !redacted.includes(kind));
    if (missing.length > 0) problems.push(`personal data not redacted: ${missing.join(", ")} (redacted: ${redacted.join(", ") || "none"})`);
  }
  // The personal data itself is never echoed into the log: the message gives its place in the file.
  const text = JSON.stringify(body);
  (expect.absent ?? []).forEach((forbidden, i) => {
    if (text.includes(forbidden)) problems.push(`the response contains the text of expect.absent[${i}]`);
  });
  return problems;
}

/** A short description of a good answer, for the summary. */
export function answerNote(body: unknown): string {
  if (!isObject(body)) return "";
  const notes: string[] = [];
  if (Array.isArray(body.citations)) notes.push(plural(body.citations.length, "citation"));
  if (isObject(body.blocked)) notes.push(`refused: ${String(body.blocked.reason)}`);
  if (Array.isArray(body.redacted) && body.redacted.length > 0) notes.push(`redacted: ${body.redacted.join(", ")}`);
  if (typeof body.cache === "string") notes.push(`cache ${body.cache}`);
  return notes.join(", ");
}

export function healthProblems(status: number, body: unknown): string[] {
  if (status !== 200) return [`answered ${status}, expected 200`];
  if (!isObject(body)) return ["the response is not a JSON object"];
  return body.status === "ok" ? [] : [`status is ${JSON.stringify(body.status)}, expected "ok"`];
}

export function readyProblems(status: number, body: unknown): string[] {
  const checks = isObject(body) && isObject(body.checks) ? body.checks : {};
  const down = Object.entries(checks)
    .filter(([, check]) => isObject(check) && check.status === "down")
    .map(([name]) => name);
  const detail = down.length > 0 ? ` (down: ${down.join(", ")})` : "";
  if (status !== 200) return [`answered ${status}, expected 200${detail}`];
  return isObject(body) && body.ready === true ? [] : [`ready is not true${detail}`];
}
