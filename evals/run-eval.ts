import { Command, Option } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession, type Session } from "../cli/session.js";
import { CHECKER_KINDS, createChecker, type CheckerKind } from "./claims/checkers.js";
import { formatClaims } from "./claims/format.js";
import { LlmClaimChecker } from "./claims/llm-checker.js";
import { loadReferences } from "./claims/references.js";
import type { ClaimChecker } from "./claims/types.js";
import { loadDataset } from "./dataset.js";
import { evaluateSplit, type SplitRun } from "./eval-split.js";
import { baselineOf, BASELINE_FILE, compareToBaseline, gateMessage, writeBaseline } from "./gate.js";
import { currentCommit, GATE_DATASETS, openGateSession } from "./gate-env.js";
import { RETRIEVAL_MODES } from "../tools/search/retriever.js";
import { computeMetrics, formatReport, groupBy, type QuestionOutcome, type Report } from "./metrics.js";
import { appendHistory, readHistory } from "./report/history.js";
import type { EvalRunReport } from "./report/types.js";
import { writeReport } from "./report/write-report.js";

export const REFERENCES_FILE = "evals/datasets/references.jsonl";
export const DEFAULT_DATASET = "evals/datasets/test.jsonl";

interface EvalOptions {
  dataset: string[];
  references: string;
  checker: CheckerKind;
  json: boolean;
  ablation: boolean;
  report?: string | true;
  history: string;
  updateBaseline: boolean;
  baseline: string;
}

/** Retrieval alone under each mode (BM25, dense, hybrid), with and without the re-ranking stage. */
async function ablation(session: Session, run: SplitRun): Promise<NonNullable<Report["ablation"]>> {
  const search = session.capabilities.search;
  const variants = [
    ...RETRIEVAL_MODES.map((mode) => ({ name: mode, mode, rerank: false })),
    ...(search.reranker ? (["bm25", "hybrid"] as const).map((mode) => ({ name: `${mode}+rerank`, mode, rerank: true })) : []),
  ];
  const result: NonNullable<Report["ablation"]> = {};
  for (const { name, mode, rerank } of variants) {
    const ranked: QuestionOutcome[] = [];
    for (const [i, item] of run.items.entries()) ranked.push({ ...run.outcomes[i]!, ranking: await search.rankFichesAsync(item.question, 10, mode, rerank) });
    result[name] = { all: computeMetrics(ranked), style: groupBy(ranked, (o) => o.style) };
  }
  return result;
}

/** The run as the report page and its JSON show it. */
function runReport(session: Session, checker: ClaimChecker, runs: SplitRun[]): EvalRunReport {
  return {
    version: 1,
    date: new Date().toISOString(),
    commit: currentCommit(),
    checker: checker.name,
    answerer: session.capabilities.grounded ? `llm:${session.config.llm?.roles.answer.model ?? "?"}` : session.capabilities.answerer.name,
    snapshot_date: session.capabilities.snapshot.date,
    splits: runs.map((r) => r.splitReport),
  };
}

/** `--update-baseline`: the gate's splits in the gate's configuration, offline checker; writes the baseline. */
async function updateBaseline(io: CliIo, opts: EvalOptions): Promise<number> {
  const session = await openGateSession(io);
  const checker = createChecker("offline", io.env);
  const references = loadReferences(opts.references);
  const runs: SplitRun[] = [];
  for (const dataset of GATE_DATASETS) runs.push(await evaluateSplit(session, dataset, loadDataset(dataset), references, checker));
  const baseline = baselineOf(runs, { date: new Date().toISOString(), commit: currentCommit(), checker: checker.name });
  writeBaseline(opts.baseline, baseline);
  const metrics = Object.values(baseline.splits).reduce((n, s) => n + Object.keys(s).length, 0);
  await writeLine(io.stdout, `baseline written to ${opts.baseline}: ${metrics} metrics over ${runs.map((r) => `${r.split} (${r.items.length})`).join(", ")}`);
  await writeLine(io.stdout, gateMessage(compareToBaseline(runs, baseline)));
  return 0;
}

/**
 * `npm run eval -- [--dataset FILE …] [--report [DIR]] [--checker offline|llm|auto] [--json]`: retrieval, answer and
 * claim-level quality of each dataset; `--update-baseline` re-measures the gate's baseline on purpose.
 */
export async function evalMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval")
    .description("Evaluate retrieval, answers and their claims on JSON-lines datasets")
    .option("--dataset <file...>", "JSON lines {id, question, gold, facts?, style?, lang?, class?}", [DEFAULT_DATASET])
    .option("--references <file>", "reference answers {id, split, reference, support}", REFERENCES_FILE)
    .addOption(new Option("--checker <kind>", "claim checker: offline, the LLM judge, or auto (the judge when a key is set)").choices(CHECKER_KINDS).default("offline"))
    .option("--json", "print one JSON object per dataset", false)
    .option("--ablation", "also rank with BM25 alone, dense alone, hybrid, and with the re-ranking stage", false)
    .option("--report [dir]", "write report.html and report.json into this folder (default reports/eval)")
    .option("--history <file>", "past runs' figures, for the report's trend (appended to)", "reports/eval-history.json")
    .option("--update-baseline", `re-measure the gate's baseline (${GATE_DATASETS.join(", ")}) and write it`, false)
    .option("--baseline <file>", "the gate's baseline", BASELINE_FILE)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<EvalOptions>();
  if (opts.updateBaseline) return updateBaseline(io, opts);
  const datasets = opts.dataset.map((file) => ({ file, items: loadDataset(file) }));
  const references = loadReferences(opts.references);
  const checker = createChecker(opts.checker, io.env);
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message), io.stderr === process.stderr);
  const runs: SplitRun[] = [];
  for (const { file, items } of datasets) {
    const run = await evaluateSplit(session, file, items, references, checker);
    if (opts.ablation) run.report.ablation = await ablation(session, run);
    runs.push(run);
    const claims = run.splitReport.all.claims;
    if (opts.json) await writeLine(io.stdout, JSON.stringify({ ...run.report, claims, claims_by: claims ? run.splitReport.by : undefined, checker: checker.name }));
    else await writeLine(io.stdout, `${file}\n\n${formatReport(run.report)}\n\n${formatClaims(run.splitReport, checker.name)}\n`);
  }
  if (checker instanceof LlmClaimChecker) {
    const { total } = checker.usage();
    await writeLine(io.stderr, `judge: ${total.input_tokens} input and ${total.output_tokens} output tokens, cost ${total.cost}${total.estimated ? " (estimated)" : ""}; ${checker.invalidReplies} replies asked again`);
  }
  if (opts.report !== undefined) {
    const dir = opts.report === true ? "reports/eval" : opts.report;
    const report = runReport(session, checker, runs);
    const history = readHistory(opts.history);
    const paths = writeReport(dir, report, history);
    appendHistory(opts.history, report);
    await writeLine(io.stderr, `report: ${paths.html} and ${paths.json}; history: ${opts.history}`);
  }
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-eval.ts")) await runMain(evalMain);
