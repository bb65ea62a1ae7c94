import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Where Debian's Apertium language pairs put their modes (`apertium-fr-es` installs `es-fr.mode`). */
export const APERTIUM_MODES_DIR = "/usr/share/apertium/modes";

/** A question is short: a pair that takes longer than this is skipped, the word lists answer alone. */
const TIMEOUT_MS = 2_000;

/** Translates a question into French with a rule-based machine translator, or gives undefined. */
export interface MachineTranslator {
  /** The languages it translates into French. */
  languages: ReadonlySet<string>;
  toFrench(text: string, language: string): Promise<string | undefined>;
}

/**
 * The Apertium pairs into French installed on this machine (`<lang>-fr.mode` in the modes folder), or undefined
 * when there is none or the `apertium` command is missing. Apertium is a rule-based translator: no model, no
 * network, a few hundred milliseconds per question.
 */
export function apertiumTranslator(modesDir = APERTIUM_MODES_DIR): MachineTranslator | undefined {
  if (!existsSync(modesDir) || !commandExists("apertium")) return undefined;
  const languages = new Set(
    readdirSync(modesDir)
      .map((file) => /^([a-z]{2,3})-fr\.mode$/.exec(file)?.[1])
      .filter((language): language is string => language !== undefined),
  );
  if (languages.size === 0) return undefined;
  return { languages, toFrench: (text, language) => (languages.has(language) ? runApertium(text, `${language}-fr`) : Promise.resolve(undefined)) };
}

/**
 * The text goes in as a positional argument of a here-string, never into the command line's code. A here-string
 * rather than Node's stdin: the `apertium` script reads `/dev/stdin` by name, which a socket (Node's pipe) is not.
 */
function runApertium(text: string, pair: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", 'apertium -u -f txt "$1" <<<"$2"', "apertium", pair, text], { timeout: TIMEOUT_MS }, (error, stdout) => {
      const french = stdout.trim();
      resolve(error || french === "" ? undefined : french);
    });
  });
}

function commandExists(command: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, command)));
}
