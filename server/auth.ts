import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { INVOKE_SCOPE, type AuthConfig, type JwtConfig } from "../tools/security-config.js";
import { problems } from "./problems.js";

/** Who is calling: a key's name or a token's subject, never the credential itself. */
export interface Principal {
  kind: "api-key" | "jwt" | "anonymous";
  /** "key:NAME", "jwt:SUBJECT" or "anonymous": used for rate limits and logs. */
  id: string;
  /** This caller's own limit, when its key sets one. */
  rateLimitPerMinute?: number;
}

declare module "express-serve-static-core" {
  interface Request {
    principal?: Principal;
  }
}

const REALM = 'Bearer realm="guichet"';
const challenge = (error: string, description: string, extra = "") =>
  `${REALM}, error="${error}", error_description="${description}"${extra}`;
/** RFC 6750 b64token, bounded. */
const TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
const MAX_TOKEN_LENGTH = 8192;

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** Looks a presented key up among the stored digests, comparing every digest in constant time. */
export function apiKeyMatcher(entries: AuthConfig["apiKeys"]) {
  const stored = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, "hex") }));
  return (presented: string) => {
    const digest = sha256(presented);
    let found: (typeof entries)[number] | undefined;
    // No early exit: the time taken does not depend on which key (if any) matched.
    for (const candidate of stored) {
      if (timingSafeEqual(candidate.digest, digest) && !found) found = candidate.entry;
    }
    return found;
  };
}

function jwtKey(config: JwtConfig): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  switch (config.verifier.kind) {
    case "secret":
      return { key: new TextEncoder().encode(config.verifier.secret), algorithms: ["HS256"] };
    case "jwks":
      return { key: createLocalJWKSet(config.verifier.jwks as Parameters<typeof createLocalJWKSet>[0]), algorithms: ["RS256", "ES256"] };
    case "jwks-url":
      return { key: createRemoteJWKSet(new URL(config.verifier.url)), algorithms: ["RS256", "ES256"] };
  }
}

function tokenScopes(payload: JWTPayload): string[] {
  const scopes: string[] = [];
  if (typeof payload.scope === "string") scopes.push(...payload.scope.split(" "));
  if (Array.isArray(payload.scp)) scopes.push(...payload.scp.filter((s): s is string => typeof s === "string"));
  else if (typeof payload.scp === "string") scopes.push(...payload.scp.split(" "));
  return scopes;
}

/** Why a token was refused, in words safe to show the caller. */
function tokenRefusal(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "the token is not valid yet";
    if (error.claim === "iss" || error.claim === "aud") return "the token was not issued for this service";
    return "the token's claims are not valid";
  }
  if (error instanceof errors.JOSEError) return "the token is not valid";
  return undefined;
}

function jwtVerifier(config: JwtConfig) {
  const { key, algorithms } = jwtKey(config);
  return async (token: string): Promise<Principal> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        algorithms,
        ...(config.issuer ? { issuer: config.issuer } : {}),
        ...(config.audience ? { audience: config.audience } : {}),
      }));
    } catch (error) {
      const refusal = tokenRefusal(error);
      // A JWKS that cannot be fetched is our problem, not the caller's.
      if (!refusal) throw problems.unavailable("the token cannot be verified right now; please retry");
      throw problems.unauthorized(refusal, challenge("invalid_token", refusal));
    }
    if (typeof payload.sub !== "string" || payload.sub === "") {
      throw problems.unauthorized("the token has no subject", challenge("invalid_token", "the token has no subject"));
    }
    if (config.requiredScope && !tokenScopes(payload).includes(config.requiredScope)) {
      throw problems.forbidden(
        `the token lacks the scope "${config.requiredScope}"`,
        challenge("insufficient_scope", "the token lacks the required scope", `, scope="${config.requiredScope}"`),
      );
    }
    return { kind: "jwt", id: `jwt:${payload.sub}` };
  };
}

/** The credential of a request: the bearer token, else the X-API-Key header. */
function presentedCredential(req: Request): { value: string; via: "bearer" | "x-api-key" } | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) {
      throw problems.unauthorized(
        'the Authorization header must be "Bearer <key or token>"',
        challenge("invalid_request", "malformed Authorization header"),
      );
    }
    return { value: match[1]!, via: "bearer" };
  }
  const key = req.headers["x-api-key"];
  if (typeof key === "string" && key !== "") return { value: key.trim(), via: "x-api-key" };
  return undefined;
}

/**
 * Express middleware: attaches `req.principal`, or answers 401 (missing or bad credentials, with
 * `WWW-Authenticate`) or 403 (valid credentials without the scope). With authentication off, every caller
 * is the anonymous principal (rate-limited by IP); with it optional, so is every caller that presents no credential.
 */
export function authenticate(config: AuthConfig, scope = INVOKE_SCOPE) {
  if (!config.enabled) {
    return (req: Request, _res: Response, next: NextFunction) => {
      req.principal = { kind: "anonymous", id: "anonymous" };
      next();
    };
  }
  const matchKey = apiKeyMatcher(config.apiKeys);
  const verifyJwt = config.jwt ? jwtVerifier(config.jwt) : undefined;
  return async (req: Request, _res: Response, next: NextFunction) => {
    const credential = presentedCredential(req);
    if (!credential && config.anonymous) {
      req.principal = { kind: "anonymous", id: "anonymous" };
      return next();
    }
    if (!credential) {
      throw problems.unauthorized("an API key (Authorization: Bearer or X-API-Key) or a bearer token is required", REALM);
    }
    const { value } = credential;
    if (value.length > MAX_TOKEN_LENGTH || !TOKEN.test(value)) {
      throw problems.unauthorized("the credential is not valid", challenge("invalid_token", "the credential is not valid"));
    }
    const entry = matchKey(value);
    if (entry) {
      if (!entry.scopes.includes(scope)) {
        throw problems.forbidden(
          `the key "${entry.name}" lacks the scope "${scope}"`,
          challenge("insufficient_scope", "the key lacks the required scope", `, scope="${scope}"`),
        );
      }
      req.principal = {
        kind: "api-key",
        id: `key:${entry.name}`,
        ...(entry.rate_limit_per_minute ? { rateLimitPerMinute: entry.rate_limit_per_minute } : {}),
      };
      next();
      return;
    }
    if (verifyJwt && credential.via === "bearer" && value.split(".").length === 3) {
      req.principal = await verifyJwt(value);
      next();
      return;
    }
    throw problems.unauthorized("the credential is not valid", challenge("invalid_token", "the credential is not valid"));
  };
}
