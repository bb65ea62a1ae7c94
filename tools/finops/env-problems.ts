import type { z } from "zod";

/** One `VARIABLE: message` line per issue, the form tools/config.ts reports bad variables in. */
export function envProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

/** Environment values as tools/config.ts sees them: an empty variable counts as unset. */
export function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""));
}
