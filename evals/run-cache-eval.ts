import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { openSession } from "../cli/session.js";
import { cacheTermWeight } from "../tools/cache/create.js";
import {
  questionSignature,
  sameDiscriminators,
  signatureSimilarity,
  termCosine,
  weightedJaccard,
  type QuestionSignature,
} from "../tools/cache/question-signature.js";
import { SEMANTIC_THRESHOLD } from "../tools/cache/settings.js";
import { chooseThreshold, figuresAt, loadCachePairs, type CachePair, type PairScore, type ThresholdFigures } from "./cache-pairs.js";

const pct = (n: number, d: number) => (d === 0 ? "-" : `${((100 * n) / d).toFixed(1)} %`);

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * `npm run eval:cache`: the semantic cache's similarities on the labelled pairs (paraphrases that must hit,
 * near-misses that must not). The threshold of each similarity is chosen on dev (false hits <= 1 % of the dev
 * near-misses) and reported on test, with the test false hits per kind of near-miss.
 */
export async function cacheEvalMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval:cache")
    .option("--pairs <file>", "JSON lines {id, a, b, same, kind, split}", "evals/datasets/cache-pairs-core.jsonl")
    .option("--max-false-hits <rate>", "false-hit rate allowed on dev near-misses", "0.01")
    .option("--held-out <file>", "more pairs, all scored at the thresholds chosen on dev", "evals/datasets/cache-pairs-fresh.jsonl")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ pairs: string; maxFalseHits: string; heldOut: string }>();
  const pairs = loadCachePairs(opts.pairs);
  const heldOut = opts.heldOut ? loadCachePairs(opts.heldOut) : [];
  const session = await openSession(io.env, (message) => void writeLine(io.stderr, message), false);
  const { lexical, dense } = session.capabilities.search;
  const termWeight = cacheTermWeight(lexical);
  const signature = (q: string): QuestionSignature => questionSignature(q, termWeight, lexical.spelling);
  const withRules = (measure: (a: Record<string, number>, b: Record<string, number>) => number) => (p: CachePair) => {
    const [a, b] = [signature(p.a), signature(p.b)];
    return sameDiscriminators(a, b) ? measure(a.terms, b.terms) : 0;
  };
  const similarities: Array<[string, (p: CachePair) => number]> = [
    ["weighted Jaccard of IDF-weighted terms + discriminators (used)", (p) => signatureSimilarity(signature(p.a), signature(p.b))],
    ["cosine of IDF-weighted terms + discriminators", withRules(termCosine)],
    ["weighted Jaccard alone", (p) => weightedJaccard(signature(p.a).terms, signature(p.b).terms)],
    ["cosine alone", (p) => termCosine(signature(p.a).terms, signature(p.b).terms)],
  ];
  const embed = dense?.embeddings.embedText?.bind(dense.embeddings);
  if (embed) similarities.push([`dense ${dense!.embeddings.name} cosine`, (p) => cosine(embed(p.a), embed(p.b))]);

  const rate = Number(opts.maxFalseHits);
  const rows: string[] = [];
  const kinds = [...new Set(pairs.filter((p) => !p.same).map((p) => p.kind))].sort();
  const kindRows: string[] = [];
  const freshKindRows: string[] = [];
  for (const [name, score] of similarities) {
    const scored = (split: "dev" | "test"): PairScore[] => pairs.filter((p) => p.split === split).map((pair) => ({ pair, similarity: score(pair) }));
    const dev = scored("dev");
    const test = scored("test");
    const chosen = chooseThreshold(dev, rate);
    const onTest: ThresholdFigures = figuresAt(test, chosen.threshold);
    const fresh = figuresAt(heldOut.map((pair) => ({ pair, similarity: score(pair) })), chosen.threshold);
    rows.push(
      `| ${name} | ${chosen.threshold.toFixed(3)} | ${pct(chosen.hits, chosen.paraphrases)} | ${pct(chosen.falseHits, chosen.nearMisses)} | ` +
        `${pct(onTest.hits, onTest.paraphrases)} | ${pct(onTest.falseHits, onTest.nearMisses)} (${onTest.falseHits}/${onTest.nearMisses}) | ` +
        `${pct(fresh.hits, fresh.paraphrases)} | ${pct(fresh.falseHits, fresh.nearMisses)} (${fresh.falseHits}/${fresh.nearMisses}) |`,
    );
    if (freshKindRows.length === 0) {
      for (const kind of [...new Set(heldOut.filter((p) => !p.same).map((p) => p.kind))].sort()) {
        const k = heldOut.filter((p) => !p.same && p.kind === kind);
        freshKindRows.push(`| ${kind} | ${k.length} | ${k.filter((p) => score(p) >= chosen.threshold).length} |`);
      }
    }
    if (kindRows.length === 0) {
      for (const kind of kinds) {
        const k = test.filter((s) => !s.pair.same && s.pair.kind === kind);
        kindRows.push(`| ${kind} | ${k.length} | ${k.filter((s) => s.similarity >= chosen.threshold).length} |`);
      }
    }
  }
  const count = (split: string, same: boolean) => pairs.filter((p) => p.split === split && p.same === same).length;
  await writeLine(
    io.stdout,
    [
      `${opts.pairs}: dev ${count("dev", true)} paraphrases + ${count("dev", false)} near-misses, test ${count("test", true)} + ${count("test", false)}`,
      `threshold in use (tools/cache/settings.ts): ${SEMANTIC_THRESHOLD}`,
      "",
      `held out: ${opts.heldOut} (${heldOut.filter((p) => p.same).length} paraphrases + ${heldOut.filter((p) => !p.same).length} near-misses, written apart, never tuned on)`,
      "",
      "| similarity | threshold (dev) | dev hits | dev false hits | test hits | test false hits | held-out hits | held-out false hits |",
      "|---|---|---|---|---|---|---|---|",
      ...rows,
      "",
      "Test near-misses served at the chosen threshold, by kind (similarity in use):",
      "",
      "| kind | n | false hits |",
      "|---|---|---|",
      ...kindRows,
      "",
      "Held-out near-misses served, by kind (similarity in use):",
      "",
      "| kind | n | false hits |",
      "|---|---|---|",
      ...freshKindRows,
    ].join("\n"),
  );
  return 0;
}

if (process.argv[1]?.endsWith("evals/run-cache-eval.ts")) await runMain(cacheEvalMain);
