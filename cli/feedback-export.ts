import { writeFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { ConfigError, loadConfig } from "../tools/config.js";
import { evalCandidateOf } from "../tools/feedback/eval-candidates.js";
import { openFeedbackStore } from "../tools/feedback/store.js";
import { FeedbackStoreUnavailableError, type FeedbackEntry, type FeedbackStore } from "../tools/feedback/types.js";
import { createLogger } from "../tools/logger.js";
import { runMain, writeLine, type CliIo } from "./io.js";

const USAGE = [
  "usage: npm run feedback:export -- [--out FILE]            reviewed ratings as eval candidates (JSON lines)",
  "       npm run feedback:export -- --pending               ratings waiting for review (JSON lines)",
  "       npm run feedback:export -- --review ID... [--expected-fiche F1234... | --out-of-scope]",
].join("\n");

function ficheId(value: string, previous: string[] = []): string[] {
  if (!/^[\w-]{1,64}$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a fiche id such as F1234`);
  return [...previous, value];
}

interface Options {
  out?: string;
  pending: boolean;
  review?: string[];
  expectedFiche?: string[];
  outOfScope: boolean;
}

/** What a reviewer reads of a rating waiting for review (never who rated it). */
function pendingLine(entry: FeedbackEntry): Record<string, unknown> {
  const { run } = entry;
  return {
    feedback_id: entry.feedbackId,
    rating: entry.rating,
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...(entry.comment ? { comment: entry.comment } : {}),
    question: run.question,
    ...(run.understoodAs ? { understood_as: run.understoodAs } : {}),
    language: run.language,
    answer: run.answer,
    cited: run.citedFiches,
    passages: run.passageIds,
    ...(run.variant !== undefined ? { variant: run.variant } : {}),
    rated_at: new Date(entry.createdAt).toISOString(),
  };
}

/** Marks ratings reviewed, after checking that each exists and that a rating down gets its gold from the reviewer. */
async function review(store: FeedbackStore, ids: string[], options: Options, io: CliIo): Promise<number> {
  const expected = options.outOfScope ? [] : options.expectedFiche;
  const known = new Map((await store.list("all")).map((entry) => [entry.feedbackId, entry]));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    await writeLine(io.stderr, `no such feedback (or expired): ${unknown.join(", ")}; nothing marked`);
    return 2;
  }
  const ungraded = ids.filter((id) => known.get(id)!.rating === "down" && !expected && !known.get(id)!.expectedFiches);
  if (ungraded.length > 0) {
    await writeLine(io.stderr, `rated down, so the cited fiches are no gold: give --expected-fiche or --out-of-scope for ${ungraded.join(", ")}; nothing marked`);
    return 2;
  }
  await store.markReviewed(ids, expected);
  await writeLine(io.stderr, `${ids.length} rating${ids.length === 1 ? "" : "s"} marked reviewed`);
  return 0;
}

async function exportCandidates(store: FeedbackStore, options: Options, io: CliIo): Promise<number> {
  const lines: string[] = [];
  for (const entry of await store.list("reviewed")) {
    const made = evalCandidateOf(entry);
    if ("candidate" in made) lines.push(JSON.stringify(made.candidate));
    else await writeLine(io.stderr, `skipped ${made.skipped}`);
  }
  if (options.out) {
    writeFileSync(options.out, lines.map((line) => `${line}\n`).join(""));
    await writeLine(io.stderr, `${lines.length} eval candidate${lines.length === 1 ? "" : "s"} written to ${options.out}`);
  } else {
    for (const line of lines) await writeLine(io.stdout, line);
  }
  return 0;
}

/**
 * `npm run feedback:export`: the review of ratings and their export as eval candidates, from the store the server
 * is configured with (GUICHET_FEEDBACK*, DATABASE_URL).
 */
export async function feedbackExportMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("feedback:export")
    .description("Review the ratings of answers and export the reviewed ones as eval candidates")
    .option("--out <file>", "write the candidates to this file (default: standard output)")
    .option("--pending", "list the ratings waiting for review", false)
    .option("--review <feedback_id...>", "mark these ratings reviewed")
    .option("--expected-fiche <fiche...>", "with --review: the fiches that answer the question (the gold)", ficheId)
    .option("--out-of-scope", "with --review: nothing should be answered (gold [])", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const options = program.opts<Options>();
  if ((options.expectedFiche || options.outOfScope) && !options.review) {
    await writeLine(io.stderr, `--expected-fiche and --out-of-scope go with --review\n${USAGE}`);
    return 2;
  }
  if ((options.expectedFiche && options.outOfScope) || (options.pending && (options.review || options.out))) {
    await writeLine(io.stderr, USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfig(io.env).feedback;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await writeLine(io.stderr, error.message);
    return 2;
  }
  const store = await openFeedbackStore(config, createLogger("warn", "feedback-export", io.stderr), { sweepEveryMs: 0 });
  if (!store) {
    await writeLine(io.stderr, "feedback is off (GUICHET_FEEDBACK=off): there is nothing to review");
    return 2;
  }
  try {
    if (options.review) return await review(store, options.review, options, io);
    if (options.pending) {
      for (const entry of await store.list("pending")) await writeLine(io.stdout, JSON.stringify(pendingLine(entry)));
      return 0;
    }
    return await exportCandidates(store, options, io);
  } catch (error) {
    if (!(error instanceof FeedbackStoreUnavailableError)) throw error;
    await writeLine(io.stderr, `the feedback store is unreachable: ${(error.cause as Error).message}`);
    return 1;
  } finally {
    await store.close();
  }
}

if (process.argv[1]?.endsWith("cli/feedback-export.ts")) await runMain(feedbackExportMain);
