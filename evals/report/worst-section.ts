import type { AnswerClaim, ClaimOutcome, EvalPassage, ReferenceClaim } from "../claims/types.js";
import { CLAIM_METRICS } from "../claims/types.js";
import { escapeHtml, formatShare } from "./html.js";
import { METRICS } from "./metric-catalog.js";
import type { SplitReport } from "./types.js";

const yesNo = (value: boolean) => (value ? `<span class="yes">✓ yes</span>` : `<span class="no">✗ no</span>`);
const multiline = (text: string) => `<div class="text">${escapeHtml(text)}</div>`;

/** "P2, P5 (expanded)": the passages a claim is entailed by, numbered as in the passage list. */
function passageRefs(indices: number[], passages: EvalPassage[]): string {
  if (indices.length === 0) return `<span class="no">none</span>`;
  return indices
    .map((i) => {
      const passage = passages[i];
      const tip = passage ? `${passage.ficheId} — ${passage.title}` : "unknown passage";
      const expanded = passage && !passage.retrieved ? " (expanded)" : "";
      return `<span class="pref" title="${escapeHtml(tip)}">P${i + 1}${expanded}</span>`;
    })
    .join(", ");
}

/** What an answer claim counts as in the generator metrics (RAGChecker's reading of its two verdicts). */
export function answerClaimReading(claim: AnswerClaim, relevant: Set<number>): string {
  if (claim.inReference) return claim.inPassages.length > 0 ? "correct, from the passages" : "self-knowledge";
  if (claim.inPassages.length === 0) return "hallucination";
  const fromRelevant = claim.inPassages.some((p) => relevant.has(p));
  const fromIrrelevant = claim.inPassages.some((p) => !relevant.has(p));
  return [fromRelevant ? "noise from a relevant passage" : "", fromIrrelevant ? "noise from an irrelevant passage" : ""].filter(Boolean).join("; ");
}

function answerClaimsTable(outcome: ClaimOutcome): string {
  if (outcome.answerClaims.length === 0) return `<p class="empty">No answer claims${outcome.answered ? "" : " (the question was declined)"}.</p>`;
  const relevant = new Set(outcome.referenceClaims.flatMap((c) => c.inPassages));
  const rows = outcome.answerClaims.map(
    (claim, i) =>
      `<tr><td class="num">${i + 1}</td><td>${escapeHtml(claim.text)}</td><td>${yesNo(claim.inReference)}</td>` +
      `<td>${passageRefs(claim.inPassages, outcome.passages)}</td><td>${escapeHtml(answerClaimReading(claim, relevant))}</td></tr>`,
  );
  return `<table class="claims"><thead><tr><th>#</th><th>answer claim</th><th>in the reference</th><th>entailed by</th><th>counts as</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function referenceClaimsTable(claims: ReferenceClaim[], passages: EvalPassage[]): string {
  if (claims.length === 0) return `<p class="empty">No reference claims.</p>`;
  const rows = claims.map(
    (claim, i) => `<tr><td class="num">${i + 1}</td><td>${escapeHtml(claim.text)}</td><td>${yesNo(claim.inAnswer)}</td><td>${passageRefs(claim.inPassages, passages)}</td></tr>`,
  );
  return `<table class="claims"><thead><tr><th>#</th><th>reference claim</th><th>in the answer</th><th>in passages</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function passageList(passages: EvalPassage[]): string {
  if (passages.length === 0) return `<p class="empty">No passages.</p>`;
  const items = passages.map(
    (p, i) =>
      `<li><details class="passage"><summary><span class="pref">P${i + 1}</span> <code>${escapeHtml(p.ficheId)}</code> ${escapeHtml(p.title)}` +
      (p.retrieved ? "" : ` <span class="badge">expanded</span>`) +
      `</summary>${multiline(p.text)}<p class="passage-id">passage ${escapeHtml(p.id)}</p></details></li>`,
  );
  return `<ol class="passages">${items.join("")}</ol>`;
}

const LABELS = new Map(METRICS.map((m) => [m.key, m.label]));

function scoreList(outcome: ClaimOutcome): string {
  const items = CLAIM_METRICS.map((metric) => `<li><span>${escapeHtml(LABELS.get(metric) ?? metric)}</span> ${formatShare(outcome.scores[metric])}</li>`);
  return `<ul class="scores">${items.join("")}</ul>`;
}

function questionDetails(outcome: ClaimOutcome, rank: number): string {
  const tags = [outcome.style, outcome.lang, outcome.questionClass].filter(Boolean).join(" · ");
  const summary =
    `<summary><span class="rank">${rank}</span> <span class="score">F1 ${formatShare(outcome.scores.f1)}</span> ` +
    `<span class="score">faithfulness ${formatShare(outcome.scores.faithfulness)}</span> <span class="qtext">${escapeHtml(outcome.question)}</span> ` +
    `<span class="tags">${escapeHtml(`${outcome.id} · ${tags}`)}</span></summary>`;
  const answer = outcome.answered ? multiline(outcome.answer) : `<span class="badge">declined</span>${multiline(outcome.answer)}`;
  return (
    `<details class="question">${summary}<div class="question-body">` +
    `<dl class="qa"><dt>Question</dt><dd>${multiline(outcome.question)}</dd><dt>Answer</dt><dd>${answer}</dd><dt>Reference</dt><dd>${multiline(outcome.reference)}</dd></dl>` +
    scoreList(outcome) +
    `<h5>Answer claims (${outcome.answerClaims.length})</h5>${answerClaimsTable(outcome)}` +
    `<h5>Reference claims (${outcome.referenceClaims.length})</h5>${referenceClaimsTable(outcome.referenceClaims, outcome.passages)}` +
    `<h5>Passages read (${outcome.passages.length})</h5>${passageList(outcome.passages)}` +
    `</div></details>`
  );
}

/** Each split's worst questions, collapsed: scores in the summary line, claims, verdicts and passages inside. */
export function worstSection(splits: SplitReport[]): string {
  return splits
    .map((split) => {
      const list = split.worst.length === 0 ? `<p class="empty">No question with claims in this split.</p>` : split.worst.map((o, i) => questionDetails(o, i + 1)).join("");
      const count = split.worst.length === 0 ? "" : ` (${split.worst.length})`;
      return `<h3>${escapeHtml(split.split)}: worst questions${count}</h3>${list}`;
    })
    .join("");
}
