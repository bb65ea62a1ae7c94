import { readFileSync } from "node:fs";
import { z } from "zod";

/** The scope a caller needs to ask questions (`/invoke`, `/stream`). */
export const INVOKE_SCOPE = "invoke";

/** One API key as stored in configuration: never the key itself, only its SHA-256 digest. */
const ApiKeyEntrySchema = z
  .object({
    name: z.string().regex(/^[\w.-]{1,64}$/, "must be 1 to 64 letters, digits, '.', '_' or '-'"),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be the SHA-256 digest of the key in hex (64 characters)")
      .transform((hex) => hex.toLowerCase()),
    rate_limit_per_minute: z.number().int().positive().optional(),
    scopes: z.array(z.string().min(1)).nonempty().default([INVOKE_SCOPE]),
  })
  .strict();

const ApiKeysSchema = z.array(ApiKeyEntrySchema);

export type ApiKeyEntry = z.infer<typeof ApiKeyEntrySchema>;

const JwksSchema = z.object({ keys: z.array(z.object({ kty: z.string() }).loose()).nonempty() }).loose();
export type Jwks = z.infer<typeof JwksSchema>;

export interface JwtConfig {
  /** HS256 shared secret, or RS256/ES256 public keys from a JWKS (inline from a file, or fetched from a URL). */
  verifier: { kind: "secret"; secret: string } | { kind: "jwks"; jwks: Jwks } | { kind: "jwks-url"; url: string };
  issuer?: string;
  audience?: string;
  /** When set, the token's `scope` (space-separated) or `scp` claim must contain it. */
  requiredScope?: string;
}

export interface AuthConfig {
  enabled: boolean;
  /**
   * GUICHET_AUTH=optional: a credential, when presented, is checked (its key's own limit); a request without one is
   * served as the anonymous caller, rate-limited by address (the public chat page).
   */
  anonymous?: boolean;
  /** Why authentication is off, logged at start-up. */
  disabledReason?: string;
  apiKeys: ApiKeyEntry[];
  jwt?: JwtConfig;
}

/** The variables of tools/config.ts that this module reads. */
export interface AuthEnv {
  NODE_ENV: string;
  GUICHET_AUTH?: "on" | "off" | "optional" | undefined;
  GUICHET_API_KEYS?: string | undefined;
  GUICHET_API_KEYS_FILE?: string | undefined;
  GUICHET_JWT_SECRET?: string | undefined;
  GUICHET_JWT_JWKS_FILE?: string | undefined;
  GUICHET_JWT_JWKS_URL?: string | undefined;
  GUICHET_JWT_ISSUER?: string | undefined;
  GUICHET_JWT_AUDIENCE?: string | undefined;
  GUICHET_JWT_SCOPE?: string | undefined;
}

function parseJson<T>(variable: string, text: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${variable}: not valid JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${variable}: ${issue.path.length ? `[${issue.path.join(".")}] ` : ""}${issue.message}`);
  }
  return parsed.data;
}

function readText(variable: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
  }
}

function apiKeys(env: AuthEnv): ApiKeyEntry[] {
  const keys: ApiKeyEntry[] = [];
  if (env.GUICHET_API_KEYS) keys.push(...parseJson("GUICHET_API_KEYS", env.GUICHET_API_KEYS, ApiKeysSchema));
  if (env.GUICHET_API_KEYS_FILE) {
    const text = readText("GUICHET_API_KEYS_FILE", env.GUICHET_API_KEYS_FILE);
    keys.push(...parseJson("GUICHET_API_KEYS_FILE", text, ApiKeysSchema));
  }
  const names = keys.map((k) => k.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new Error(`GUICHET_API_KEYS: the key name "${duplicate}" is used twice`);
  return keys;
}

function jwtConfig(env: AuthEnv): JwtConfig | undefined {
  const sources = [env.GUICHET_JWT_SECRET, env.GUICHET_JWT_JWKS_FILE, env.GUICHET_JWT_JWKS_URL].filter(Boolean);
  if (sources.length === 0) return undefined;
  if (sources.length > 1) {
    throw new Error("GUICHET_JWT_SECRET, GUICHET_JWT_JWKS_FILE and GUICHET_JWT_JWKS_URL: set only one of them");
  }
  const verifier: JwtConfig["verifier"] = env.GUICHET_JWT_SECRET
    ? { kind: "secret", secret: env.GUICHET_JWT_SECRET }
    : env.GUICHET_JWT_JWKS_FILE
      ? {
          kind: "jwks",
          jwks: parseJson("GUICHET_JWT_JWKS_FILE", readText("GUICHET_JWT_JWKS_FILE", env.GUICHET_JWT_JWKS_FILE), JwksSchema),
        }
      : { kind: "jwks-url", url: env.GUICHET_JWT_JWKS_URL! };
  return {
    verifier,
    ...(env.GUICHET_JWT_ISSUER ? { issuer: env.GUICHET_JWT_ISSUER } : {}),
    ...(env.GUICHET_JWT_AUDIENCE ? { audience: env.GUICHET_JWT_AUDIENCE } : {}),
    ...(env.GUICHET_JWT_SCOPE ? { requiredScope: env.GUICHET_JWT_SCOPE } : {}),
  };
}

/**
 * Authentication is on when credentials are configured, and always in production unless GUICHET_AUTH=off:
 * a production server with nothing to check credentials against refuses to start.
 */
export function authSettings(env: AuthEnv): AuthConfig {
  const keys = apiKeys(env);
  const jwt = jwtConfig(env);
  const configured = keys.length > 0 || jwt !== undefined;
  const base = { apiKeys: keys, ...(jwt ? { jwt } : {}) };
  if (env.GUICHET_AUTH === "off") {
    return { ...base, enabled: false, disabledReason: "GUICHET_AUTH=off" };
  }
  if (env.GUICHET_AUTH === "optional") return { ...base, enabled: true, anonymous: true };
  if (configured) return { ...base, enabled: true };
  if (env.GUICHET_AUTH === "on" || env.NODE_ENV === "production") {
    const why = env.GUICHET_AUTH === "on" ? "GUICHET_AUTH=on" : "NODE_ENV=production turns authentication on";
    throw new Error(
      `GUICHET_AUTH: ${why} but no credential is configured: set GUICHET_API_KEYS or GUICHET_API_KEYS_FILE ` +
        "(see `npm run keys -- create NAME`), or GUICHET_JWT_SECRET / GUICHET_JWT_JWKS_FILE / GUICHET_JWT_JWKS_URL; " +
        "or set GUICHET_AUTH=off to serve without authentication (optional: credentials checked when presented)",
    );
  }
  return {
    ...base,
    enabled: false,
    disabledReason: `NODE_ENV=${env.NODE_ENV} and no API key or JWT verifier configured (local default)`,
  };
}
