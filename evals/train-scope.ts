import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession } from "../cli/session.js";
import { ExtractiveAnswerer } from "../tools/answer/extractive.js";
import { SCOPE_MODEL_FILE, scopeFeatures, type ScopeModel } from "../tools/answer/scope.js";
import { fitSparseLogistic, predictSparse, type SparseExample } from "../tools/learn/sparse-logistic.js";
import { loadDataset } from "./dataset.js";

const GRID = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];

/**
 * `npm run train:scope`: learns, on the dev split, whether a question is about French public services, from its
 * words and from how well retrieval met it (tools/answer/scope.ts). The L2 penalty and the decision threshold are
 * chosen on out-of-fold predictions: the lowest threshold at which at most `--max-declined` of the in-scope dev
 * questions the answerer would otherwise answer get declined. Refuses a file named like the test split.
 */
export async function trainScopeMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("train:scope")
    .description("Learn the out-of-scope classifier on the dev split")
    .option("--dataset <file>", "dev split", "evals/datasets/dev.jsonl")
    .option("--folds <n>", "cross-validation folds", (v) => Number(v), 5)
    .option("--max-declined <share>", "largest share of in-scope dev questions the model may decline", (v) => Number(v), 0.02)
    .option("--no-write", "print the table without writing the model")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ dataset: string; folds: number; maxDeclined: number; write: boolean }>();
  if (/test/i.test(basename(opts.dataset))) throw new Error(`${opts.dataset}: refusing to train on the test split`);
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message));
  const base = session.capabilities.answerer as ExtractiveAnswerer;
  const answerer = new ExtractiveAnswerer({ ...base.options, scopeModel: null });
  const examples: SparseExample[] = [];
  let gated = 0;
  for (const item of loadDataset(opts.dataset)) {
    const hits = await session.capabilities.search.searchAsync(item.question, { k: session.config.topK, maxPerFiche: session.config.maxPerFiche });
    const pool = answerer.expand(hits.map((h) => ({ chunk: h.chunk, score: h.score, rank: h.rank })));
    const read = answerer.readRetrieval(item.question, pool);
    // Questions the coverage floor already declines teach the model nothing it will be asked.
    if (!read || read.bestCoverage < answerer.options.minCoverage) {
      gated += 1;
      continue;
    }
    examples.push({ features: scopeFeatures(item.question, read.signals), label: item.gold.length === 0 ? "out_of_scope" : "in_scope" });
  }
  const inScope = examples.filter((e) => e.label === "in_scope").length;
  const out = [
    `${opts.dataset}: ${examples.length} questions past the coverage floor (${inScope} in scope, ${examples.length - inScope} out of scope), ${gated} declined by it`,
    "",
    "| λ | threshold | out of scope declined (cv) | in scope declined (cv) |",
    "|---|---|---|---|",
  ];
  let best: { lambda: number; threshold: number; declined: number } | undefined;
  for (const lambda of [0.0003, 0.001, 0.003, 0.01]) {
    const oof = new Array<number>(examples.length);
    for (let fold = 0; fold < opts.folds; fold++) {
      const model = fitSparseLogistic(examples.filter((_, i) => i % opts.folds !== fold), { lambda, epochs: 300, balanced: true, minCount: 1 });
      examples.forEach((e, i) => {
        if (i % opts.folds === fold) oof[i] = predictSparse(model, e.features).out_of_scope ?? 0;
      });
    }
    const rate = (label: string, t: number) => {
      const idx = examples.map((e, i) => (e.label === label ? i : -1)).filter((i) => i >= 0);
      return idx.filter((i) => oof[i]! >= t).length / Math.max(idx.length, 1);
    };
    const threshold = GRID.find((t) => rate("in_scope", t) <= opts.maxDeclined) ?? 1;
    const declined = rate("out_of_scope", threshold);
    out.push(`| ${lambda} | ${threshold} | ${declined.toFixed(3)} | ${rate("in_scope", threshold).toFixed(3)} |`);
    if (!best || declined > best.declined) best = { lambda, threshold, declined };
  }
  const model = fitSparseLogistic(examples, { lambda: best!.lambda, epochs: 300, balanced: true, minCount: 1 });
  out.push("", `chosen λ=${best!.lambda}, threshold ${best!.threshold}`);
  await writeLine(io.stdout, out.join("\n"));
  if (opts.write) {
    const file: ScopeModel = {
      classes: model.classes,
      byClass: model.byClass,
      threshold: best!.threshold,
      trainedOn: `${opts.dataset} (${examples.length} questions past the coverage floor)`,
      lambda: best!.lambda,
    };
    writeFileSync(SCOPE_MODEL_FILE, `${JSON.stringify(file)}\n`);
    await writeLine(io.stderr, `model written to ${SCOPE_MODEL_FILE}`);
  }
  return 0;
}

if (process.argv[1]?.endsWith("evals/train-scope.ts")) await runMain(trainScopeMain);
