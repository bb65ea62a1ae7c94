import { foldAccents } from "../tools/search/analyzer.js";

/** What one eval question produced. */
export interface QuestionOutcome {
  gold: string[];
  /** Distinct fiche ids in rank order. */
  ranking: string[];
  answer: string;
  /** Whether the assistant answered (false: it said it found nothing). */
  answered: boolean;
  facts?: string[];
  style: string;
  lang: string;
  /** Audience of the gold fiche (particuliers, professionnels, associations, travail), when the dataset says. */
  audience?: string;
  /** Fiche id of the answer's first citation. */
  firstCitation?: string;
  /** What the question asks for, as labelled in the dataset, and as the classifier read it. */
  questionClass?: string;
  predictedClass?: string;
  /** What an out-of-scope question (or an in-scope look-alike) is about. */
  topic?: string;
}

export interface Metrics {
  n: number;
  "recall@1": number;
  "recall@5": number;
  "recall@10": number;
  "mrr@10": number;
  "ndcg@10": number;
  /** Share of expected facts found in the answers (null when no question has facts). */
  facts: number | null;
  /** Share of in-scope questions the assistant answered rather than declined. */
  answered: number;
  /** Share of in-scope questions whose answer's first citation is a gold fiche. */
  first_citation: number;
  /** The facts share and the first-citation share over the questions whose gold fiche is in the top 10. */
  facts_if_retrieved: number | null;
  first_citation_if_retrieved: number;
}

export interface OutOfScopeMetrics {
  n: number;
  /** Share of out-of-scope questions the assistant declined. */
  declined: number;
}

export interface Report extends Metrics {
  out_of_scope: OutOfScopeMetrics;
  by: {
    style: Record<string, Metrics>;
    lang: Record<string, Metrics>;
    audience?: Record<string, Metrics>;
    /** By the labelled question class. */
    class?: Record<string, Metrics>;
  };
  /** Share of labelled questions the classifier put in their class. */
  class_accuracy?: { n: number; accuracy: number };
  /** Out-of-scope questions declined, by topic. */
  out_of_scope_by_topic?: Record<string, OutOfScopeMetrics>;
  /** Retrieval alone under each mode (BM25, dense, hybrid), overall and per style, when asked. */
  ablation?: Record<string, { all: Metrics; style: Record<string, Metrics> }>;
}

/** 1-based rank of the first gold fiche in the ranking, or 0 when none is there. */
export function firstGoldRank(gold: string[], ranking: string[]): number {
  const index = ranking.findIndex((id) => gold.includes(id));
  return index === -1 ? 0 : index + 1;
}

const normalise = (text: string) => foldAccents(text.toLowerCase()).replace(/\s+/g, " ");

export function factsFound(answer: string, facts: string[]): number {
  const haystack = normalise(answer);
  return facts.filter((fact) => haystack.includes(normalise(fact))).length;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** nDCG@k with binary relevance: every gold fiche is relevant, the ideal ranking puts them all first. */
export function ndcgAt(gold: string[], ranking: string[], k = 10): number {
  const dcg = ranking.slice(0, k).reduce((sum, id, i) => sum + (gold.includes(id) ? 1 / Math.log2(i + 2) : 0), 0);
  let ideal = 0;
  for (let i = 0; i < Math.min(new Set(gold).size, k); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Recall@k (a gold fiche within the first k), MRR@10, facts share and answer rate of in-scope questions. */
export function computeMetrics(outcomes: QuestionOutcome[]): Metrics {
  const inScope = outcomes.filter((o) => o.gold.length > 0);
  const n = inScope.length;
  const ranks = inScope.map((o) => firstGoldRank(o.gold, o.ranking));
  const recall = (k: number) => (n === 0 ? 0 : round(ranks.filter((r) => r > 0 && r <= k).length / n));
  const factShare = (subset: QuestionOutcome[]) => {
    const withFacts = subset.filter((o) => o.facts && o.facts.length > 0);
    const total = withFacts.reduce((sum, o) => sum + o.facts!.length, 0);
    const hits = withFacts.reduce((sum, o) => sum + factsFound(o.answer, o.facts!), 0);
    return total === 0 ? null : round(hits / total);
  };
  const firstCited = (subset: QuestionOutcome[]) =>
    subset.length === 0 ? 0 : round(subset.filter((o) => o.firstCitation !== undefined && o.gold.includes(o.firstCitation)).length / subset.length);
  const retrieved = inScope.filter((_, i) => ranks[i]! > 0 && ranks[i]! <= 10);
  return {
    n,
    "recall@1": recall(1),
    "recall@5": recall(5),
    "recall@10": recall(10),
    "mrr@10": n === 0 ? 0 : round(ranks.reduce((sum, r) => sum + (r > 0 && r <= 10 ? 1 / r : 0), 0) / n),
    "ndcg@10": n === 0 ? 0 : round(inScope.reduce((sum, o) => sum + ndcgAt(o.gold, o.ranking), 0) / n),
    facts: factShare(inScope),
    answered: n === 0 ? 0 : round(inScope.filter((o) => o.answered).length / n),
    first_citation: firstCited(inScope),
    facts_if_retrieved: factShare(retrieved),
    first_citation_if_retrieved: firstCited(retrieved),
  };
}

export function groupBy(outcomes: QuestionOutcome[], key: (o: QuestionOutcome) => string): Record<string, Metrics> {
  const groups = new Map<string, QuestionOutcome[]>();
  for (const o of outcomes) {
    if (o.gold.length === 0) continue;
    const k = key(o);
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  return Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, computeMetrics(v)]));
}

export function buildReport(outcomes: QuestionOutcome[]): Report {
  const outOfScope = outcomes.filter((o) => o.gold.length === 0);
  const labelled = outcomes.filter((o) => o.gold.length > 0 && o.questionClass && o.predictedClass);
  const topics = new Map<string, QuestionOutcome[]>();
  for (const o of outOfScope) topics.set(o.topic ?? "unspecified", [...(topics.get(o.topic ?? "unspecified") ?? []), o]);
  const declined = (list: QuestionOutcome[]) => ({ n: list.length, declined: list.length === 0 ? 0 : round(list.filter((o) => !o.answered).length / list.length) });
  return {
    ...computeMetrics(outcomes),
    out_of_scope: {
      n: outOfScope.length,
      declined: outOfScope.length === 0 ? 0 : round(outOfScope.filter((o) => !o.answered).length / outOfScope.length),
    },
    by: {
      style: groupBy(outcomes, (o) => o.style),
      lang: groupBy(outcomes, (o) => o.lang),
      ...(outcomes.some((o) => o.audience) ? { audience: groupBy(outcomes, (o) => o.audience ?? "unspecified") } : {}),
      ...(outcomes.some((o) => o.questionClass) ? { class: groupBy(outcomes, (o) => o.questionClass ?? "unlabelled") } : {}),
    },
    ...(labelled.length > 0
      ? { class_accuracy: { n: labelled.length, accuracy: round(labelled.filter((o) => o.questionClass === o.predictedClass).length / labelled.length) } }
      : {}),
    ...(outOfScope.some((o) => o.topic)
      ? { out_of_scope_by_topic: Object.fromEntries([...topics].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, declined(v)])) }
      : {}),
  };
}

/** The ranking columns of a metrics row: n, R@1, R@5, R@10, MRR@10, nDCG@10. */
export function rankingCells(m: Metrics): string[] {
  return [
    String(m.n),
    m["recall@1"].toFixed(3),
    m["recall@5"].toFixed(3),
    m["recall@10"].toFixed(3),
    m["mrr@10"].toFixed(3),
    m["ndcg@10"].toFixed(3),
  ];
}

export const RANKING_HEADER = ["n", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10"];

/** Rows as text: the first `labels` columns padded right, the numbers padded left, all aligned. */
export function alignedTable(header: string[], rows: string[][], labels: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < labels ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/** The report as an aligned text table. */
export function formatReport(report: Report): string {
  const row = (name: string, m: Metrics) => [
    name,
    ...rankingCells(m),
    m.facts === null ? "-" : m.facts.toFixed(3),
    m.facts_if_retrieved === null ? "-" : m.facts_if_retrieved.toFixed(3),
    m.first_citation.toFixed(3),
    m.first_citation_if_retrieved.toFixed(3),
    m.answered.toFixed(3),
  ];
  const rows = [
    row("all", report),
    ...Object.entries(report.by.style).map(([k, m]) => row(`style=${k}`, m)),
    ...Object.entries(report.by.lang).map(([k, m]) => row(`lang=${k}`, m)),
    ...Object.entries(report.by.audience ?? {}).map(([k, m]) => row(`audience=${k}`, m)),
    ...Object.entries(report.by.class ?? {}).map(([k, m]) => row(`class=${k}`, m)),
  ];
  const out = alignedTable(["group", ...RANKING_HEADER, "facts", "facts|ret", "1st-cit", "1st|ret", "answered"], rows, 1);
  out.push(
    "",
    "facts: share of expected facts in the answers; |ret: over the questions whose gold fiche is in the top 10; 1st-cit: first citation is a gold fiche",
  );
  if (report.class_accuracy) {
    out.push(`question class read right: ${report.class_accuracy.accuracy.toFixed(3)} of ${report.class_accuracy.n} labelled questions`);
  }
  out.push("", `out of scope: ${report.out_of_scope.n} questions, declined ${report.out_of_scope.declined.toFixed(3)}`);
  for (const [topic, m] of Object.entries(report.out_of_scope_by_topic ?? {})) {
    out.push(`  ${topic.padEnd(24)} ${String(m.n).padStart(3)}  declined ${m.declined.toFixed(3)}`);
  }
  if (report.ablation) {
    const ablationRows = Object.entries(report.ablation).flatMap(([mode, a]) =>
      [["all", a.all] as const, ...Object.entries(a.style).map(([k, m]) => [`style=${k}`, m] as const)].map(([g, m]) => [
        mode,
        g,
        ...rankingCells(m),
      ]),
    );
    out.push("", "retrieval ablation (fiche ranking only)", ...alignedTable(["retrieval", "group", ...RANKING_HEADER], ablationRows, 2));
  }
  return out.join("\n");
}
