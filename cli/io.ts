import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/** The streams a command uses; tests pass their own. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): CliIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

/** Non-empty lines of a stream, in order. */
export async function* readLines(stream: Readable): AsyncGenerator<string> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== "") yield line;
}

export function writeLine(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(`${text}\n`, (error) => (error ? reject(error) : resolve())));
}

/** Runs a command's main and sets the exit code; errors are printed without a stack trace. */
export async function runMain(main: (argv: string[], io: CliIo) => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2), processIo());
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
