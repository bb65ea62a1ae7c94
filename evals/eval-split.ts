import { basename } from "node:path";
import type { Session } from "../cli/session.js";
import type { FinalState } from "../graphs/run.js";
import { classifyQuestion } from "../tools/answer/question-class.js";
import type { Answerer } from "../tools/answer/types.js";
import type { ReferenceAnswer } from "./claims/references.js";
import { supportProblems } from "./claims/references.js";
import { checkQuestion, summarizeClaims, worstQuestions } from "./claims/score.js";
import type { ClaimChecker, ClaimOutcome, EvalPassage } from "./claims/types.js";
import type { EvalItem } from "./dataset.js";
import { buildReport, computeMetrics, type QuestionOutcome, type Report } from "./metrics.js";
import type { GroupFigures, SplitReport } from "./report/types.js";

/** Everything one split's run produced: per question, and the figures. */
export interface SplitRun {
  split: string;
  items: EvalItem[];
  outcomes: QuestionOutcome[];
  claims: ClaimOutcome[];
  report: Report;
  splitReport: SplitReport;
}

/** The split's name: the dataset file's name without its extension ("test" for evals/datasets/test.jsonl). */
export const splitName = (dataset: string) => basename(dataset).replace(/\.jsonl?$/, "");

/**
 * The passages the answer was written from: the retrieved ones, and for an answerer that reads further (the
 * extractive one reads the whole of each retrieved fiche) the chunks it added, marked as not retrieved.
 */
const passagesOf = (state: FinalState | undefined, answerer: Answerer): EvalPassage[] =>
  (answerer.expand ? answerer.expand(state?.passages ?? []) : (state?.passages ?? [])).map((p) => ({
    id: p.chunk.id,
    ficheId: p.chunk.ficheId,
    title: p.chunk.title,
    path: p.chunk.path,
    text: p.chunk.text,
    retrieved: !p.expanded,
  }));

function figures(outcomes: QuestionOutcome[], claims: ClaimOutcome[]): GroupFigures {
  return { retrieval: computeMetrics(outcomes), claims: claims.length ? summarizeClaims(claims) : null };
}

/** Figures per value of a key, over the in-scope questions (and their claim outcomes). */
function breakdown(outcomes: QuestionOutcome[], claimsById: Map<string, ClaimOutcome>, items: EvalItem[], key: (o: QuestionOutcome) => string | undefined): Record<string, GroupFigures> {
  const groups = new Map<string, number[]>();
  outcomes.forEach((o, i) => {
    const k = key(o);
    if (o.gold.length === 0 || k === undefined) return;
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  return Object.fromEntries(
    [...groups]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, idx]) => [k, figures(idx.map((i) => outcomes[i]!), idx.flatMap((i) => claimsById.get(items[i]!.id) ?? []))]),
  );
}

/**
 * Asks every question of a split, keeps what retrieval and the answer produced, and checks the claims of the
 * questions that have a reference answer. The references' support passages must be in the index (a reference
 * written against another snapshot fails the run rather than scoring against nothing).
 */
export async function evaluateSplit(
  session: Session,
  dataset: string,
  items: EvalItem[],
  references: Map<string, ReferenceAnswer>,
  checker: ClaimChecker,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<SplitRun> {
  const split = splitName(dataset);
  const ofSplit = [...references.values()].filter((r) => r.split === split);
  const chunkText = new Map(session.capabilities.search.chunks.map((c) => [c.id, c.text]));
  const goldById = new Map(items.map((item) => [item.id, item.gold]));
  const problems = supportProblems(ofSplit, (id) => goldById.get(id), (id) => chunkText.get(id));
  if (problems.length) throw new Error(`reference answers of ${split} do not match the index:\n${problems.join("\n")}`);

  const outcomes: QuestionOutcome[] = [];
  const claims: ClaimOutcome[] = [];
  for (const [i, item] of items.entries()) {
    let state: FinalState | undefined;
    const response = await session.ask(item.question, undefined, { inspect: (s) => (state = s) });
    const outcome: QuestionOutcome = {
      gold: item.gold,
      ranking: await session.capabilities.search.rankFichesAsync(item.question, 10),
      answer: response.answer,
      answered: response.found,
      ...(item.facts ? { facts: item.facts } : {}),
      style: item.style ?? "unspecified",
      lang: item.lang ?? "fr",
      ...(item.audience ? { audience: item.audience } : {}),
      ...(response.citations[0] ? { firstCitation: response.citations[0].id } : {}),
      ...(item.class ? { questionClass: item.class, predictedClass: classifyQuestion(item.question).questionClass } : {}),
      ...(item.topic ? { topic: item.topic } : {}),
    };
    outcomes.push(outcome);
    const reference = references.get(item.id);
    if (reference && reference.split === split) {
      claims.push(
        await checkQuestion(
          {
            id: item.id,
            question: item.question,
            style: outcome.style,
            lang: outcome.lang,
            ...(item.class ? { questionClass: item.class } : {}),
            answer: state?.reply?.answer ?? response.answer,
            answered: response.found,
            reference: reference.reference,
            passages: passagesOf(state, session.capabilities.answerer),
          },
          checker,
        ),
      );
    }
    onProgress(i + 1, items.length);
  }
  const report = buildReport(outcomes);
  const claimsById = new Map(claims.map((c) => [c.id, c]));
  return {
    split,
    items,
    outcomes,
    claims,
    report,
    splitReport: {
      split,
      dataset,
      all: figures(outcomes, claims),
      by: {
        style: breakdown(outcomes, claimsById, items, (o) => o.style),
        lang: breakdown(outcomes, claimsById, items, (o) => o.lang),
        class: breakdown(outcomes, claimsById, items, (o) => o.questionClass),
      },
      out_of_scope: report.out_of_scope,
      worst: worstQuestions(claims),
    },
  };
}
