import { spawn } from "node:child_process";
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname } from "node:path";
import { pino } from "pino";
import { Command } from "commander";
import { withLlm } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import type { AskResponse } from "../graphs/run.js";
import { loadDataset } from "../evals/dataset.js";
import { runMain, writeLine, type CliIo } from "../cli/io.js";
import { createApp } from "../server/app.js";
import { loadConfig } from "../tools/config.js";
import { createLlmProvider } from "../tools/llm/provider.js";
import { SUBSET_IDS, subsetCapabilities } from "../test/helpers/fixtures.js";
import { PLAN_PROMPT } from "../tools/plan/llm-split.js";
import { mightBeMultiPart, splitQuestion } from "../tools/plan/split.js";
import { chatReply, startScriptedOpenAI, type ChatRequestBody, type ScriptedReply } from "../test/helpers/scripted-openai.js";
import { fmt, summarize } from "./stats.js";

/** The report's heading: one section per major version of Node (the machine's, and the Docker image's). */
export function sectionTitle(nodeVersion = process.version): string {
  return `## LLM path overhead (issue 5), Node ${nodeVersion.replace(/^v/, "").split(".")[0]}`;
}

/** One measured request: latency seen by the client and time Guichet spent waiting on the model. */
export interface Sample {
  totalMs: number;
  modelMs: number;
  /** Model calls the request made (from its `usage`). */
  modelCalls: number;
  degraded: boolean;
  /** The graph run as timed by the server (`timings.total`). */
  graphMs: number;
  /** Time inside the graph's nodes (their own `timings`), model wait included. */
  nodesMs: number;
}

/** The graph's nodes (`verify` runs inside `answer` and is counted there). */
const NODES = ["guard", "refuse", "understand", "retrieve", "retrieve_part", "answer", "translate"];

export interface Row {
  kind: string;
  concurrency: number;
  samples: Sample[];
  /** The scripted model's fixed latency, when the row's requests reach it (0 for the offline peer). */
  fixedDelayMs?: number;
}

/** Posts `count` questions to /invoke with `concurrency` requests in flight; one sample per response. */
export async function measure(url: string, questions: string[], concurrency: number, count: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const question = questions[next++ % questions.length]!;
      const started = performance.now();
      const res = await fetch(`${url}/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question }),
      });
      const body = (await res.json()) as AskResponse;
      const totalMs = performance.now() - started;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      samples.push({
        totalMs,
        modelMs: body.usage?.total.model_ms ?? 0,
        modelCalls: (body.usage?.by_node ?? []).reduce((n, line) => n + line.calls, 0),
        degraded: body.degraded.length > 0,
        graphMs: body.timings.total ?? 0,
        nodesMs: NODES.reduce((sum, node) => sum + (body.timings[node] ?? 0), 0),
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return samples;
}

/** The markdown table of the rows: latency, model wait and Guichet's own overhead (total minus model wait). */
export function overheadTable(rows: Row[], targetMs = 15): string[] {
  const lines = [
    "| questions | concurrency | requests | /invoke p50 ms | /invoke p95 ms | model wait p50 ms | overhead p50 ms | overhead p95 ms | total − fixed model latency p95 ms | degraded | target overhead p95 <= 15 ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const total = summarize(row.samples.map((s) => s.totalMs));
    const model = summarize(row.samples.map((s) => s.modelMs));
    const overhead = summarize(row.samples.map((s) => s.totalMs - s.modelMs));
    const degraded = row.samples.filter((s) => s.degraded).length;
    const strict = summarize(row.samples.map((s) => s.totalMs - (row.fixedDelayMs ?? 0)));
    lines.push(
      `| ${row.kind} | ${row.concurrency} | ${total.n} | ${fmt(total.p50, 1)} | ${fmt(total.p95, 1)} | ${fmt(model.p50, 1)} | ${fmt(overhead.p50, 1)} | ${fmt(overhead.p95, 1)} | ${fmt(strict.p95, 1)} | ${degraded} | ${overhead.p95 <= targetMs ? "met" : "**missed**"} |`,
    );
  }
  return lines;
}

/**
 * Where the overhead goes: in Guichet's nodes (model wait taken out), in the LangGraph runtime between them (graph
 * run minus its nodes) and outside the graph (HTTP, Express, JSON, both ways). Percentiles of each part on its own:
 * they do not add up to the overhead's.
 */
export function breakdownTable(rows: Row[]): string[] {
  const lines = [
    "| questions | concurrency | overhead p50 / p95 ms | in the nodes p50 / p95 ms | graph runtime between nodes p50 / p95 ms | outside the graph p50 / p95 ms |",
    "|---|---|---|---|---|---|",
  ];
  const cell = (values: number[]) => {
    const { p50, p95 } = summarize(values);
    return `${fmt(p50, 1)} / ${fmt(p95, 1)}`;
  };
  for (const row of rows) {
    const s = row.samples;
    lines.push(
      `| ${row.kind} | ${row.concurrency} | ${cell(s.map((x) => x.totalMs - x.modelMs))} | ${cell(s.map((x) => x.nodesMs - x.modelMs))} | ${cell(s.map((x) => x.graphMs - x.nodesMs))} | ${cell(s.map((x) => x.totalMs - x.graphMs))} |`,
    );
  }
  return lines;
}

/** One model round-trip more at most: compares a multi-part row with the simple row at the same concurrency. */
export function multiPartTable(rows: Row[], roundTripMs: number, overheadBudgetMs = 15): string[] {
  const lines = [
    `| concurrency | model calls per request: simple → multi-part | p50 ms: simple → multi-part (Δ) | p95 ms: simple → multi-part (Δ) | target: ≤ 1 more call and Δp50 ≤ ${roundTripMs} + ${overheadBudgetMs} ms |`,
    "|---|---|---|---|---|",
  ];
  for (const multi of rows.filter((r) => r.kind === "multi-part")) {
    const simple = rows.find((r) => r.kind === "simple" && r.concurrency === multi.concurrency);
    if (!simple) continue;
    const calls = (row: Row) => summarize(row.samples.map((s) => s.modelCalls));
    const total = (row: Row) => summarize(row.samples.map((s) => s.totalMs));
    const [cs, cm, ts, tm] = [calls(simple), calls(multi), total(simple), total(multi)];
    const extraCalls = cm.p50 - cs.p50;
    const met = Math.max(...multi.samples.map((s) => s.modelCalls)) - Math.min(...simple.samples.map((s) => s.modelCalls)) <= 1
      && tm.p50 - ts.p50 <= roundTripMs + overheadBudgetMs;
    lines.push(
      `| ${multi.concurrency} | ${fmt(cs.p50, 0)} → ${fmt(cm.p50, 0)} (+${fmt(extraCalls, 0)}) | ${fmt(ts.p50, 1)} → ${fmt(tm.p50, 1)} (${fmt(tm.p50 - ts.p50, 1)}) | ${fmt(ts.p95, 1)} → ${fmt(tm.p95, 1)} (${fmt(tm.p95 - ts.p95, 1)}) | ${met ? "met" : "**missed**"} |`,
    );
  }
  return lines;
}

/**
 * Multi-part questions about the subset's fiches (and the issue's example); the rules see each as possibly
 * multi-part, so the plan model is asked.
 */
export const MULTI_PART_QUESTIONS = [
  "Je me marie et je déménage, quelles démarches ?",
  "Combien coûte un passeport ? Comment refaire une carte d'identité perdue ?",
  "Je perds mon passeport et je déménage, quelles démarches ?",
  "Quel est le prix d'un passeport ? Quels justificatifs pour une carte d'identité ?",
];

/**
 * The scripted model of the bench, answering after `delayMs`: a plan request gets a valid plan (the rules'
 * split of the question it carries), any other request a grounded answer citing [1].
 */
export function benchModel(delayMs: number): (body: ChatRequestBody) => ScriptedReply {
  return (body) => {
    const [system, user] = body.messages;
    if (system?.content === PLAN_PROMPT) {
      const question = (user?.content ?? "").replace(/<\/?question>/g, "").trim();
      const parts = splitQuestion(question);
      const plan = { multi: parts.length > 1, parts: parts.length > 1 ? parts : [] };
      return chatReply(body, JSON.stringify(plan), { prompt_tokens: 200, completion_tokens: 40 }, { delayMs });
    }
    return chatReply(body, "Le passeport coûte 86 € pour un adulte [1].", { prompt_tokens: 900, completion_tokens: 40 }, { delayMs });
  };
}

/** Replaces the section (up to the next `## ` heading) in the markdown file, or appends it. */
export function writeSection(file: string, section: string, title = sectionTitle()): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    text = "";
  }
  const start = text.indexOf(`${title}\n`);
  if (start === -1) {
    text = `${text.replace(/\n*$/, "\n\n")}${section}\n`;
  } else {
    const after = text.indexOf("\n## ", start + title.length);
    text = `${text.slice(0, start)}${section}\n${after === -1 ? "" : `\n${text.slice(after + 1)}`}`;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * The Guichet HTTP app over the subset index with the LLM roles on `baseURL` (or offline, the peer, when null);
 * listens and returns its URL.
 */
export async function serveGuichet(baseURL: string | null, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const config = loadConfig({
    ...(baseURL ? { OPENAI_API_KEY: "bench-not-a-secret", OPENAI_BASE_URL: baseURL } : {}),
    OPENAI_MODEL: "scripted-model",
    LOG_LEVEL: "silent",
  });
  const capabilities = withLlm(subsetCapabilities(), createLlmProvider(config.llm));
  const app = createApp({
    graph: buildGraph(),
    capabilities,
    logger: pino({ level: "silent" }),
    maxQuestionLength: 500,
    topK: 10,
    maxPerFiche: 2,
    requestTimeoutMs: 15_000,
    version: "bench",
  });
  const server = app.listen(port, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Dev questions about the fiches of the subset index (so that every request reaches the model) that the rules
 * see as single questions (so that no plan call is made).
 */
export function simpleQuestions(dataset: string): string[] {
  const subset = new Set(SUBSET_IDS);
  return loadDataset(dataset)
    .filter((item) => item.lang === "fr" && item.gold.some((id) => subset.has(id)) && !mightBeMultiPart(item.question))
    .map((item) => item.question);
}

/** `npm run bench:llm`: /invoke against a scripted model answering after a fixed delay, in a child server. */
export async function llmBenchMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("bench:llm")
    .option("--delay <ms>", "scripted model latency", (v) => Number(v), 300)
    .option("--requests <n>", "requests per row (at least 10)", (v) => Number(v), 200)
    .option("--out <file>", "markdown report to update", "docs/benchmarks.md")
    .option("--dataset <file>", "questions", "evals/datasets/dev.jsonl")
    .option("--no-write", "print the table only")
    .option("--concurrency <list>", "concurrency levels measured", "1,20")
    .option("--profile <dir>", "write a CPU profile of the Guichet server process into this folder (node --cpu-prof)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ delay: number; requests: number; out: string; dataset: string; write: boolean; concurrency: string; profile?: string }>();
  const levels = opts.concurrency.split(",").map(Number);
  if (levels.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--concurrency: positive integers expected, got ${opts.concurrency}`);
  const log = (m: string) => void writeLine(io.stderr, m);

  // Guichet, the scripted model and the load generator (this process) each have their own event loop.
  const model = startChild(["--serve-model", String(opts.delay)], []);
  const profiling = opts.profile ? ["--cpu-prof", `--cpu-prof-dir=${opts.profile}`] : [];
  const [modelUrl] = await model.ready;
  const child = startChild(["--serve", modelUrl!], profiling);
  try {
    const [url, offlineUrl] = (await child.ready) as [string, string];
    const questions = simpleQuestions(opts.dataset);
    log(`${questions.length} simple questions; warming up...`);
    await measure(url, questions, 4, 20);
    await measure(offlineUrl, questions, 4, 20);
    const rows: Row[] = [];
    // A multi-part request waits on two model calls in sequence (plan, then one answer over every part's passages).
    const kinds = [
      { kind: "simple", target: url, questions, fixedDelayMs: opts.delay },
      { kind: "multi-part", target: url, questions: MULTI_PART_QUESTIONS, fixedDelayMs: 2 * opts.delay },
      { kind: "simple, peer: same server without LLM (extractive)", target: offlineUrl, questions, fixedDelayMs: 0 },
    ];
    for (const concurrency of levels) {
      for (const { kind, target, questions: qs, fixedDelayMs } of kinds) {
        // As many at 1 in flight as at 20: with 50, the p95 was the third-worst sample and moved by 5 ms between runs.
        const count = Math.max(10, opts.requests);
        log(`${kind}: ${count} requests at concurrency ${concurrency}...`);
        rows.push({ kind, concurrency, fixedDelayMs, samples: await measure(target, qs, concurrency, count) });
      }
    }
    const commit = (() => {
      try {
        return execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
      } catch {
        return "unknown";
      }
    })();
    const section = [
      sectionTitle(),
      "",
      `Command: \`npm run bench:llm\` (${new Date().toISOString()}, commit ${commit}, Node ${process.version}, ${cpus().length} cores shared with other sessions: noisy). Each major version of Node has its own section: to measure Node 24 (the Docker image's), run the command with Node 24 first on the PATH after \`npm rebuild\` for it, as \`.ci/run\` does.`,
      "The machine is shared with other sessions and noisy (load average printed below): treat the figures as an upper bound and re-run on a quiet machine before judging the overhead target.",
      `Load average at the end of the run: ${loadavg().map((l) => l.toFixed(2)).join(", ")}.`,
      `A scripted OpenAI-compatible server answers every chat completion after ${opts.delay} ms; Guichet (subset index, ${SUBSET_IDS.length} fiches, LLM answer + verify) and the scripted server each run in a child process of their own, so neither shares an event loop with the load generator.`,
      "Overhead = latency seen by the client minus the time Guichet waited on the model (`usage.total.model_ms`, measured per request).",
      "`model wait` is timed around the chat-model call, so it includes the LangChain/OpenAI client's own work; the stricter `total − fixed model latency` column charges that to Guichet too.",
      "The peer rows are the same process answering extractively (no model): the machine's cost of a request at that moment, without the LLM path.",
      `Multi-part rows: ${MULTI_PART_QUESTIONS.length} questions (e.g. “${MULTI_PART_QUESTIONS[0]}”) that the rules see as possibly multi-part, so the plan model is asked (the scripted model replies with a valid plan), then the parts are retrieved in parallel and answered in one call; their fixed model latency is 2 × ${opts.delay} ms.`,
      "",
      ...overheadTable(rows),
      "",
      "Where the overhead goes (from the `timings` of each response; multi-part rows count one of the parallel `retrieve_part` branches in the nodes, the other in the runtime):",
      "",
      ...breakdownTable(rows),
      "",
      `Multi-part vs simple (target: a multi-part question costs at most one model round-trip more; the latency difference is judged against one ${opts.delay} ms round-trip plus the 15 ms overhead budget):`,
      "",
      ...multiPartTable(rows, opts.delay),
      "",
    ].join("\n");
    await writeLine(io.stdout, section);
    if (opts.write) writeSection(opts.out, section);
    return 0;
  } finally {
    await child.stop();
    await model.stop();
  }
}

/** A child process running this file in one of its serving modes; `ready` gives the URLs it prints. */
export function startChild(args: string[], nodeFlags: string[]): { ready: Promise<string[]>; stop: () => Promise<void> } {
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", "bench/llm-bench.ts", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = new Promise<string[]>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      const match = /listening (.+)/.exec(chunk.toString());
      if (match) resolve(match[1]!.trim().split(" "));
    });
    child.once("exit", (code) => reject(new Error(`bench child ${args[0]} exited with ${code}`)));
  });
  ready.catch(() => undefined);
  return {
    ready,
    stop: async () => {
      const exited = child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : Promise.resolve();
      child.kill("SIGTERM");
      await exited;
    },
  };
}

if (process.argv[1]?.endsWith("bench/llm-bench.ts")) {
  const serveAt = process.argv.indexOf("--serve");
  const modelAt = process.argv.indexOf("--serve-model");
  if (modelAt !== -1) {
    const scripted = await startScriptedOpenAI();
    scripted.chat = benchModel(Number(process.argv[modelAt + 1]));
    process.once("SIGTERM", () => process.exit(0));
    process.stdout.write(`listening ${scripted.url}\n`);
  } else if (serveAt !== -1) {
    const withModel = await serveGuichet(process.argv[serveAt + 1]!);
    const offline = await serveGuichet(null);
    // A normal exit on SIGTERM lets `node --cpu-prof` write its profile.
    process.once("SIGTERM", () => process.exit(0));
    process.stdout.write(`listening ${withModel.url} ${offline.url}\n`);
  } else {
    await runMain(llmBenchMain);
  }
}
