import { PassThrough } from "node:stream";
import type { CliIo } from "../../cli/io.js";

/** A command's streams in memory: `input` on standard input, what it writes readable with `out()` and `err()`. */
export function memoryIo(env: NodeJS.ProcessEnv = {}, input = ""): CliIo & { out: () => string; err: () => string } {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { stdin, stdout, stderr, env, out: () => out, err: () => err };
}
