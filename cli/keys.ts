import { createHash, randomBytes } from "node:crypto";
import { Command, InvalidArgumentError } from "commander";
import { INVOKE_SCOPE } from "../tools/security-config.js";
import { runMain, writeLine, type CliIo } from "./io.js";

/** Recognisable in logs of leaked-secret scanners; 32 random bytes behind it. */
export const KEY_PREFIX = "gch_";

export interface NewKey {
  key: string;
  entry: { name: string; sha256: string; rate_limit_per_minute?: number; scopes: string[] };
}

export function newApiKey(name: string, rateLimitPerMinute?: number): NewKey {
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const sha256 = createHash("sha256").update(key, "utf8").digest("hex");
  return {
    key,
    entry: { name, sha256, ...(rateLimitPerMinute ? { rate_limit_per_minute: rateLimitPerMinute } : {}), scopes: [INVOKE_SCOPE] },
  };
}

function keyName(value: string): string {
  if (!/^[\w.-]{1,64}$/.test(value)) throw new InvalidArgumentError("must be 1 to 64 letters, digits, '.', '_' or '-'");
  return value;
}

function perMinute(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError("must be a whole number from 1 to 1000000");
  return n;
}

/** `npm run keys -- create NAME [--rate-limit N] [--json]`: a new API key, shown once, and its config entry. */
export async function keysMain(argv: string[], io: CliIo): Promise<number> {
  let created: NewKey | undefined;
  let asJson = false;
  const program = new Command("keys")
    .description("Manage Guichet API keys")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program
    .command("create")
    .description("Create an API key: prints the key once, and the entry (its SHA-256 digest) to add to GUICHET_API_KEYS")
    .argument("<name>", "a name for the caller (letters, digits, . _ -)", keyName)
    .option("--rate-limit <n>", "this key's requests per minute (default: GUICHET_RATE_LIMIT_PER_MINUTE)", perMinute)
    .option("--json", "print {key, entry} as JSON", false)
    .action((name: string, opts: { rateLimit?: number; json: boolean }) => {
      created = newApiKey(name, opts.rateLimit);
      asJson = opts.json;
    });
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  if (!created) {
    await writeLine(io.stderr, "usage: npm run keys -- create NAME [--rate-limit N] [--json]");
    return 2;
  }
  if (asJson) {
    await writeLine(io.stdout, JSON.stringify(created));
    return 0;
  }
  await writeLine(io.stdout, `API key for "${created.entry.name}" (shown only now; Guichet keeps only its hash):`);
  await writeLine(io.stdout, `  ${created.key}`);
  await writeLine(io.stdout, "Add this entry to the JSON array in GUICHET_API_KEYS or in the GUICHET_API_KEYS_FILE file:");
  await writeLine(io.stdout, `  ${JSON.stringify(created.entry)}`);
  return 0;
}

if (process.argv[1]?.endsWith("cli/keys.ts")) await runMain(keysMain);
