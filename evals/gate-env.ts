import { execFileSync } from "node:child_process";
import { ingestMain } from "../cli/ingest.js";
import type { CliIo } from "../cli/io.js";
import { openSession, type Session } from "../cli/session.js";

/** The splits the gate and the baseline are made of. */
export const GATE_DATASETS = ["evals/datasets/dev.jsonl", "evals/datasets/test.jsonl"];

/**
 * The one configuration the baseline is measured in, whatever the shell holds: every source, BM25 with the
 * learned re-ranker, no LLM, no cache, no word lists from Debian packages (whose presence varies between
 * machines). Only the process basics are inherited; GUICHET_GATE_INDEX_DIR moves the index.
 */
export function gateEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(["PATH", "HOME", "TMPDIR", "LANG", "NODE_OPTIONS"].flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  return {
    ...inherited,
    GUICHET_SOURCES: "vdd-npm,vdd-npm:professionnels,vdd-npm:associations,travail",
    GUICHET_INDEX_DIR: env.GUICHET_GATE_INDEX_DIR || "data/index-gate",
    GUICHET_RETRIEVAL: "bm25",
    GUICHET_RERANK: "learned",
    GUICHET_CACHE: "off",
    GUICHET_THREADS: "off",
    GUICHET_FREEDICT_DIR: "off",
    GUICHET_APERTIUM_DIR: "off",
    LOG_LEVEL: "warn",
  };
}

/** Builds or updates the gate's index (nothing to do when it is up to date), then opens a session on it. */
export async function openGateSession(io: CliIo): Promise<Session> {
  const env = gateEnv(io.env);
  await ingestMain(["--no-progress"], { ...io, env });
  return openSession(env, () => {});
}

/** The commit of the working tree, or null outside a git checkout. */
export function currentCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}
