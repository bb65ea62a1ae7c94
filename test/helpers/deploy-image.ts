import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, cpSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { isIgnored, type IgnoreRule } from "../../tools/deploy/dockerignore.js";
import type { Stage } from "../../tools/deploy/dockerfile-model.js";

/**
 * A stage of the Dockerfile laid out in a folder standing for the image's `/`: the files it copies from the build
 * context (as the .dockerignore lets them in), a node_modules without the packages its `npm ci` step removes, the
 * folders it declares as volumes, and its ENV with every absolute path moved under that folder.
 */
export interface StagedImage {
  root: string;
  /** Host path of an image path. */
  at(imagePath: string): string;
  /** Host path of the WORKDIR CMD runs in. */
  workdir: string;
  env: Record<string, string>;
  /** CMD, with the test's own Node for `node`. */
  command: string[];
  /** The HEALTHCHECK command, likewise. */
  healthcheck: string[];
  /** node_modules entries the image does not have. */
  hidden: string[];
  uid: number;
  gid: number;
}

function copyFromContext(repo: string, source: string, dest: string, ignore: IgnoreRule[]): void {
  cpSync(join(repo, source), dest, {
    recursive: true,
    filter: (from) => {
      const path = relative(repo, from);
      return path === "" || !isIgnored(ignore, path);
    },
  });
}

/**
 * The repository's node_modules, less the hidden packages, as a tree of new folders holding hard links to its files:
 * the server's user reaches it wherever the checkout is (a clone in a 0700 mktemp folder included), in seconds.
 */
function copyModules(repo: string, into: string, hidden: string[]): void {
  const copy = spawnSync("cp", ["-al", join(repo, "node_modules"), into], { encoding: "utf8" });
  // Another filesystem cannot hold hard links: copy the files instead.
  if (copy.status !== 0) cpSync(join(repo, "node_modules"), into, { recursive: true, verbatimSymlinks: true });
  for (const pkg of hidden) rmSync(join(into, pkg), { recursive: true, force: true });
}

export function stageImage(final: Stage, ignore: IgnoreRule[], repo = process.cwd()): StagedImage {
  const root = mkdtempSync(join(tmpdir(), "guichet-image-"));
  chmodSync(root, 0o755);
  const at = (imagePath: string) => join(root, imagePath);
  const [uid, gid] = (final.users.at(-1)?.value ?? "").split(":").map(Number) as [number, number];
  for (const copy of final.copies.filter((c) => !c.from)) {
    for (const source of copy.sources) {
      const dest = copy.intoFolder && statSync(join(repo, source)).isFile() ? join(at(copy.dest), basename(source)) : at(copy.dest);
      copyFromContext(repo, source, dest, ignore);
    }
  }
  const install = final.runs.find((r) => /\bnpm\s+ci\b/.test(r.text))?.text ?? "";
  const hidden = install.split(/\s+/).filter((w) => w.startsWith("node_modules/")).map((w) => w.slice("node_modules/".length));
  copyModules(repo, join(at(final.workdir), "node_modules"), hidden);
  for (const volume of final.volumes) {
    mkdirSync(at(volume), { recursive: true });
    if (volume === "/tmp") chmodSync(at(volume), 0o1777);
    else {
      chownSync(at(volume), uid, gid);
      chmodSync(at(volume), 0o700);
    }
  }
  const env = Object.fromEntries(Object.entries(final.env).map(([name, value]) => [name, value.startsWith("/") ? at(value) : value]));
  const withNode = (argv: string[]) => (argv[0] === "node" ? [process.execPath, ...argv.slice(1)] : argv);
  return {
    root,
    at,
    workdir: at(final.workdir),
    env,
    command: withNode(final.cmd?.exec ?? []),
    healthcheck: withNode(final.healthcheck?.exec ?? []),
    hidden,
    uid,
    gid,
  };
}

/**
 * Makes a tree read-only for everyone but root, as a root-owned layer of the image is for the server's user. Files
 * hard-linked from the repository keep their owner and mode (changing them would change the repository's own):
 * they are root's in CI and, without write access for others, already closed to the server's user.
 */
export function sealReadOnly(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sealReadOnly(path);
    else if (lstatSync(path).nlink > 1) continue;
    else {
      lchownSync(path, 0, 0);
      if (entry.isFile()) chmodSync(path, 0o444);
    }
  }
  chownSync(dir, 0, 0);
  chmodSync(dir, 0o555);
}

/** Every path under `dir` (symlinks not followed) with its size and modification time. */
export function treeSnapshot(dir: string, skip: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (skip.some((s) => resolve(s) === path)) continue;
      const stat = lstatSync(path);
      out.set(relative(dir, path), `${stat.mode}:${stat.size}:${stat.mtimeMs}`);
      if (stat.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out;
}

/** `setpriv` arguments that run a command as uid:gid with no supplementary groups. */
export const asUser = (uid: number, gid: number, argv: string[]) => [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", ...argv];

export interface ImageProcess {
  process: ChildProcess;
  logs: () => string;
  /** Milliseconds from spawn to the "Guichet listening" line. */
  startMs: number;
  stop(): Promise<number | null>;
}

/** Starts the image's CMD as its user and waits for it to listen. */
export async function startImage(image: StagedImage, env: Record<string, string>, timeoutMs = 60_000): Promise<ImageProcess> {
  const started = Date.now();
  const child = spawn("setpriv", asUser(image.uid, image.gid, image.command), {
    cwd: image.workdir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the image did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (!output.includes("Guichet listening")) return;
      clearTimeout(timer);
      child.removeListener("exit", onExit);
      resolvePromise();
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the image's command exited with ${code}:\n${output}`));
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    child.once("exit", onExit);
  });
  const startMs = Date.now() - started;
  return {
    process: child,
    logs: () => output,
    startMs,
    stop: () =>
      new Promise((resolvePromise) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolvePromise(child.exitCode);
        child.once("exit", (code) => resolvePromise(code));
        child.kill("SIGTERM");
      }),
  };
}
