import { Command } from "commander";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { loadCapabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { runGuichet } from "../graphs/run.js";
import { createAnswerCache } from "../tools/cache/create.js";
import { loadConfig } from "../tools/config.js";
import { createLogger } from "../tools/logger.js";
import { seededRandom } from "../tools/random.js";
import { loadCachePairs } from "./cache-pairs.js";
import { loadDataset } from "./dataset.js";

/** Phrasings that ask the same thing: a pair's anchor and its paraphrases; every near-miss is a group of its own. */
interface Group {
  id: string;
  phrasings: string[];
}

/** The labels of the pairs, both ways round: true for a paraphrase, false for a near-miss. */
function pairLabels(pairsFile: string): Map<string, boolean> {
  const labels = new Map<string, boolean>();
  for (const pair of loadCachePairs(pairsFile)) {
    labels.set(`${pair.a}\n${pair.b}`, pair.same);
    labels.set(`${pair.b}\n${pair.a}`, pair.same);
  }
  return labels;
}

function groupsOf(pairsFile: string, datasetFile: string): Group[] {
  const byAnchor = new Map<string, Group>();
  const alone = new Map<string, Group>();
  const anchor = (question: string) => {
    let group = byAnchor.get(question);
    if (!group) byAnchor.set(question, (group = { id: `a:${question}`, phrasings: [question] }));
    return group;
  };
  for (const pair of loadCachePairs(pairsFile)) {
    const group = anchor(pair.a);
    if (pair.same) group.phrasings.push(pair.b);
    else if (!byAnchor.has(pair.b)) alone.set(pair.b, { id: `n:${pair.b}`, phrasings: [pair.b] });
  }
  for (const item of loadDataset(datasetFile)) {
    if (!byAnchor.has(item.question) && !alone.has(item.question)) alone.set(item.question, { id: `q:${item.question}`, phrasings: [item.question] });
  }
  return [...byAnchor.values(), ...alone.values()];
}

type Outcome = "exact" | "semantic" | "miss" | "bypass";

interface Tally {
  requests: number;
  outcomes: Record<Outcome, number>;
  /** Semantic hits whose cached question is labelled a near-miss of the one asked. */
  falseHits: number;
  /** Semantic hits on a pair nobody labelled, and how many of them cite first the fiche a fresh answer cites first. */
  unlabelled: number;
  unlabelledSameFiche: number;
  totalMs: number;
}

/**
 * `npm run eval:cache-replay`: how often a day's questions would be served from the answer cache. The eval test
 * questions and the held-out cache pairs (anchors with their paraphrases, near-misses as questions of their own)
 * go through the real graph with an in-memory cache: once each in a shuffled order (every phrasing asked once: a
 * floor), then as a day of requests whose popularity follows a Zipf law over what is asked, each request in one of
 * its phrasings. Each semantic hit is judged by the labels of the pair (question asked, question cached); a pair
 * nobody labelled is checked against a fresh answer's first citation.
 */
export async function cacheReplayMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval:cache-replay")
    .option("--pairs <file>", "held-out cache pairs", "evals/datasets/cache-pairs-fresh.jsonl")
    .option("--dataset <file>", "eval questions", "evals/datasets/test.jsonl")
    .option("--requests <n>", "requests in the simulated day", "3000")
    .option("--zipf <s>", "exponent of the popularity law", "1")
    .option("--seed <n>", "seed of the shuffles and draws", "15")
    .option("--show", "print each doubtful semantic hit on stderr", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ pairs: string; dataset: string; requests: string; zipf: string; seed: string; show: boolean }>();
  const groups = groupsOf(opts.pairs, opts.dataset);
  const config = loadConfig({ ...io.env, GUICHET_CACHE: "memory" });
  const capabilities = await loadCapabilities(config, (m) => void writeLine(io.stderr, m), { keepExisting: true });
  const graph = buildGraph();
  const logger = createLogger("silent");
  const random = seededRandom(Number(opts.seed));

  const labels = pairLabels(opts.pairs);
  const fresh = async (question: string) => {
    const cache = capabilities.answerCache;
    delete capabilities.answerCache;
    try {
      return await runGuichet(graph, { question }, { capabilities });
    } finally {
      if (cache) capabilities.answerCache = cache;
    }
  };
  const replay = async (requests: Array<{ group: Group; question: string }>): Promise<Tally> => {
    const cache = createAnswerCache(config, capabilities, logger);
    if (!cache) throw new Error("the answer cache is off");
    let served: string;
    const lookup = cache.lookup.bind(cache);
    cache.lookup = async (...args) => {
      const found = await lookup(...args);
      served = found.kind === "miss" ? "" : found.question;
      return found;
    };
    capabilities.answerCache = cache;
    const storedBy = new Map<string, string>();
    const tally: Tally = { requests: 0, outcomes: { exact: 0, semantic: 0, miss: 0, bypass: 0 }, falseHits: 0, unlabelled: 0, unlabelledSameFiche: 0, totalMs: 0 };
    for (const { group, question } of requests) {
      served = "";
      const started = performance.now();
      const response = await runGuichet(graph, { question }, { capabilities });
      tally.totalMs += performance.now() - started;
      tally.requests += 1;
      const outcome = (response.cache ?? "bypass") as Outcome;
      tally.outcomes[outcome] += 1;
      if (outcome === "miss") storedBy.set(question, group.id);
      if (outcome !== "semantic") continue;
      const label = labels.get(`${question}\n${served}`) ?? (storedBy.get(served) === group.id ? true : undefined);
      if (label === false) {
        tally.falseHits += 1;
        if (opts.show) writeLine(io.stderr, `false hit ${response.cache_similarity}: ${question} <- ${served}`);
      } else if (label === undefined) {
        tally.unlabelled += 1;
        const again = await fresh(question);
        const same = again.citations[0]?.id === response.citations[0]?.id;
        if (same) tally.unlabelledSameFiche += 1;
        else if (opts.show) writeLine(io.stderr, `other fiche ${response.cache_similarity}: ${question} <- ${served}`);
      }
    }
    return tally;
  };

  const once = shuffled(
    groups.flatMap((group) => group.phrasings.map((question) => ({ group, question }))),
    random,
  );
  const popularity = shuffled(groups, random);
  const weights = popularity.map((_, rank) => 1 / (rank + 1) ** Number(opts.zipf));
  const day = Array.from({ length: Number(opts.requests) }, () => {
    const group = popularity[draw(weights, random)]!;
    return { group, question: group.phrasings[Math.floor(random() * group.phrasings.length)]! };
  });

  writeLine(io.stdout, `${groups.length} groups of phrasings, ${once.length} phrasings (${opts.pairs}, ${opts.dataset})`);
  writeLine(io.stdout, "");
  writeLine(io.stdout, "| replay | requests | exact | semantic | miss | not cacheable | semantic hits on labelled near-misses | on unlabelled pairs (same first fiche as a fresh answer) | mean ms |");
  writeLine(io.stdout, "|---|---|---|---|---|---|---|---|---|");
  for (const [name, requests] of [
    ["every phrasing once", once],
    [`a day: ${opts.requests} requests, Zipf s=${opts.zipf}`, day],
  ] as const) {
    const t = await replay(requests);
    const pct = (n: number) => `${((100 * n) / t.requests).toFixed(1)} %`;
    writeLine(
      io.stdout,
      `| ${name} | ${t.requests} | ${pct(t.outcomes.exact)} | ${pct(t.outcomes.semantic)} | ${pct(t.outcomes.miss)} | ${pct(t.outcomes.bypass)} | ${t.falseHits} | ${t.unlabelled} (${t.unlabelledSameFiche}) | ${(t.totalMs / t.requests).toFixed(1)} |`,
    );
  }
  return 0;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function draw(weights: number[], random: () => number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let left = random() * total;
  for (let i = 0; i < weights.length; i++) {
    left -= weights[i]!;
    if (left <= 0) return i;
  }
  return weights.length - 1;
}

if (process.argv[1]?.endsWith("evals/run-cache-replay.ts")) await runMain(cacheReplayMain);
