import { createHash } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { pino } from "pino";
import request from "supertest";
import type { Capabilities } from "../graphs/capabilities.js";
import { buildGraph } from "../graphs/guichet.js";
import { createApp, type AppOptions } from "../server/app.js";
import { apiKeyMatcher } from "../server/auth.js";
import { ConfigError, loadConfig } from "../tools/config.js";
import { createLogger } from "../tools/logger.js";
import { authSettings, type AuthConfig, type AuthEnv } from "../tools/security-config.js";
import { subsetCapabilities, tempDir } from "./helpers/fixtures.js";

const graph = buildGraph();
let caps: Capabilities;
let dir: string;

const KEY = "gch_test-key-alice-0123456789";
const READ_ONLY_KEY = "gch_test-key-reader-0123456789";
const SECRET = "a-shared-secret-of-at-least-32-characters!";
const digest = (key: string) => createHash("sha256").update(key).digest("hex");
const KEYS = JSON.stringify([
  { name: "alice", sha256: digest(KEY), rate_limit_per_minute: 42 },
  { name: "reader", sha256: digest(READ_ONLY_KEY), scopes: ["read"] },
]);

function auth(env: Partial<AuthEnv>): AuthConfig {
  return authSettings({ NODE_ENV: "test", ...env });
}

function makeApp(authConfig: AuthConfig | undefined, overrides: Partial<AppOptions> = {}) {
  return createApp({
    graph,
    capabilities: caps,
    logger: pino({ level: "silent" }),
    maxQuestionLength: 500,
    topK: 10,
    maxPerFiche: 2,
    requestTimeoutMs: 5000,
    version: "1.2.3",
    ...(authConfig ? { auth: authConfig } : {}),
    ...overrides,
  });
}

const QUESTION = { question: "Comment obtenir une carte Vitale ?" };

beforeAll(() => {
  caps = subsetCapabilities();
  dir = tempDir();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts a 401/403 JSON problem and returns its WWW-Authenticate header. */
function expectRefused(res: request.Response, status: 401 | 403): string {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
  expect((res.body as { status: number }).status ?? JSON.parse(res.text).status).toBe(status);
  const challenge = res.headers["www-authenticate"] as string;
  expect(challenge).toMatch(/^Bearer realm="guichet"/);
  return challenge;
}

describe("API keys", () => {
  const app = () => makeApp(auth({ GUICHET_API_KEYS: KEYS }));

  it("accepts the key as a bearer token and in X-API-Key", async () => {
    const a = app();
    const bearer = await request(a).post("/invoke").set("Authorization", `Bearer ${KEY}`).send(QUESTION);
    expect(bearer.status).toBe(200);
    expect((bearer.body as { found: boolean }).found).toBe(true);
    const header = await request(a).post("/invoke").set("X-API-Key", KEY).send(QUESTION);
    expect(header.status).toBe(200);
    const lowerScheme = await request(a).post("/invoke").set("Authorization", `bearer ${KEY}`).send(QUESTION);
    expect(lowerScheme.status).toBe(200);
  });

  it("answers 401 with a bare challenge when no credential is sent", async () => {
    const res = await request(app()).post("/invoke").send(QUESTION);
    expect(expectRefused(res, 401)).toBe('Bearer realm="guichet"');
    expect(JSON.parse(res.text)).toMatchObject({ type: "urn:guichet:problem:unauthorized", status: 401 });
  });

  it("answers 401 invalid_token for a wrong, truncated or odd key", async () => {
    for (const bad of [`${KEY}x`, KEY.slice(0, -1), "gch_", "x".repeat(9000), "k\u00e9y"]) {
      const res = await request(app()).post("/invoke").set("X-API-Key", bad).send(QUESTION);
      expect(expectRefused(res, 401)).toContain('error="invalid_token"');
    }
    const bearer = await request(app()).post("/invoke").set("Authorization", "Bearer gch_nope").send(QUESTION);
    expect(expectRefused(bearer, 401)).toContain('error="invalid_token"');
  });

  it("answers 401 invalid_request for an Authorization header that is not Bearer", async () => {
    const res = await request(app()).post("/invoke").set("Authorization", `Basic ${Buffer.from("a:b").toString("base64")}`).send(QUESTION);
    expect(expectRefused(res, 401)).toContain('error="invalid_request"');
  });

  it("answers 403 insufficient_scope for a valid key without the invoke scope", async () => {
    const res = await request(app()).post("/invoke").set("X-API-Key", READ_ONLY_KEY).send(QUESTION);
    expect(expectRefused(res, 403)).toContain('error="insufficient_scope"');
    expect(JSON.parse(res.text).detail).toBe('the key "reader" lacks the scope "invoke"');
  });

  it("checks credentials before the body: an unauthenticated bad body is a 401, not a 400", async () => {
    const res = await request(app()).post("/invoke").set("Content-Type", "text/plain").send("garbage");
    expectRefused(res, 401);
  });

  it("keeps /health open", async () => {
    const res = await request(app()).get("/health");
    expect(res.status).toBe(200);
  });

  it("matches stored digests in constant time, whichever entry it is", () => {
    const match = apiKeyMatcher(auth({ GUICHET_API_KEYS: KEYS }).apiKeys);
    expect(match(KEY)?.name).toBe("alice");
    expect(match(READ_ONLY_KEY)?.name).toBe("reader");
    expect(match("gch_unknown")).toBeUndefined();
  });
});

describe("JWT bearer tokens", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const hsToken = (claims: JWTPayload, secret = SECRET) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
  const base = { sub: "user-7", iss: "https://idp.example.fr", aud: "guichet" };
  const hsApp = (extra: Partial<AuthEnv> = {}) =>
    makeApp(auth({ GUICHET_JWT_SECRET: SECRET, GUICHET_JWT_ISSUER: base.iss, GUICHET_JWT_AUDIENCE: base.aud, ...extra }));
  const call = async (app: ReturnType<typeof makeApp>, token: string) =>
    request(app).post("/invoke").set("Authorization", `Bearer ${token}`).send(QUESTION);

  it("accepts a valid HS256 token", async () => {
    const res = await call(hsApp(), await hsToken({ ...base, exp: now() + 60 }));
    expect(res.status).toBe(200);
  });

  it.each([
    ["expired", { ...base, exp: now() - 120 }, "the token has expired"],
    ["not valid yet", { ...base, nbf: now() + 600 }, "the token is not valid yet"],
    ["from another issuer", { ...base, iss: "https://evil.example" }, "the token was not issued for this service"],
    ["for another audience", { ...base, aud: "other" }, "the token was not issued for this service"],
    ["without a subject", { iss: base.iss, aud: base.aud }, "the token has no subject"],
  ])("refuses a token %s with 401 invalid_token", async (_name, claims, detail) => {
    const res = await call(hsApp(), await hsToken(claims));
    expect(expectRefused(res, 401)).toContain('error="invalid_token"');
    expect(JSON.parse(res.text).detail).toBe(detail);
  });

  it("refuses a token signed with another secret, or with alg none", async () => {
    const forged = await call(hsApp(), await hsToken(base, "another-secret-of-at-least-32-characters"));
    expectRefused(forged, 401);
    const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify(base)).toString("base64url");
    expectRefused(await call(hsApp(), `${header}.${payload}.`), 401);
  });

  it("answers 403 when the required scope is missing, 200 when present (scope or scp)", async () => {
    const app = hsApp({ GUICHET_JWT_SCOPE: "guichet:ask" });
    const without = await call(app, await hsToken({ ...base, scope: "profile email" }));
    expect(expectRefused(without, 403)).toContain('scope="guichet:ask"');
    expect((await call(app, await hsToken({ ...base, scope: "profile guichet:ask" }))).status).toBe(200);
    expect((await call(app, await hsToken({ ...base, scp: ["guichet:ask"] }))).status).toBe(200);
  });

  it("verifies RS256 and ES256 tokens against a JWKS file, refusing other keys", async () => {
    const rsa = await generateKeyPair("RS256");
    const ec = await generateKeyPair("ES256");
    const stranger = await generateKeyPair("RS256");
    const jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
        { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
      ],
    };
    const file = join(dir, "jwks.json");
    writeFileSync(file, JSON.stringify(jwks));
    const app = makeApp(auth({ GUICHET_JWT_JWKS_FILE: file, GUICHET_JWT_AUDIENCE: "guichet" }));
    const sign = (key: CryptoKey, alg: string, kid: string) =>
      new SignJWT({ sub: "svc", aud: "guichet" }).setProtectedHeader({ alg, kid }).setExpirationTime("1m").sign(key);
    expect((await call(app, await sign(rsa.privateKey, "RS256", "rsa-1"))).status).toBe(200);
    expect((await call(app, await sign(ec.privateKey, "ES256", "ec-1"))).status).toBe(200);
    expectRefused(await call(app, await sign(stranger.privateKey, "RS256", "rsa-1")), 401);
    // An HS256 token must not be accepted by an asymmetric verifier (algorithm confusion).
    expectRefused(await call(app, await hsToken({ sub: "svc", aud: "guichet" })), 401);
  });

  describe("with a JWKS URL", () => {
    let jwksServer: Server;
    let url: string;
    let privateKey: CryptoKey;

    beforeAll(async () => {
      const pair = await generateKeyPair("ES256");
      privateKey = pair.privateKey;
      const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] });
      jwksServer = createServer((_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(body));
      await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    });

    afterAll(() => new Promise((resolve) => jwksServer.close(resolve)));

    it("fetches the keys and verifies; answers 503 when the JWKS cannot be fetched", async () => {
      const token = await new SignJWT({ sub: "svc" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setExpirationTime("1m").sign(privateKey);
      expect((await call(makeApp(auth({ GUICHET_JWT_JWKS_URL: url })), token)).status).toBe(200);
      const down = await call(makeApp(auth({ GUICHET_JWT_JWKS_URL: "http://127.0.0.1:1/jwks.json" })), token);
      expect(down.status).toBe(503);
      expect(down.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    });
  });

  it("accepts API keys and tokens side by side", async () => {
    const app = makeApp(auth({ GUICHET_API_KEYS: KEYS, GUICHET_JWT_SECRET: SECRET }));
    expect((await call(app, KEY)).status).toBe(200);
    expect((await call(app, await hsToken({ sub: "u" }))).status).toBe(200);
    expectRefused(await call(app, "a.b.c"), 401);
  });
});

describe("authentication configuration", () => {
  const message = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("no ConfigError");
  };

  it("is on by default in production, and refuses to start without credentials", () => {
    expect(message({ NODE_ENV: "production" })).toMatch(
      /GUICHET_AUTH: NODE_ENV=production turns authentication on but no credential is configured.*GUICHET_AUTH=off/,
    );
    expect(loadConfig({ NODE_ENV: "production", GUICHET_API_KEYS: KEYS }).auth.enabled).toBe(true);
  });

  it("can be turned off explicitly, with the reason kept for the start-up log", () => {
    expect(loadConfig({ NODE_ENV: "production", GUICHET_AUTH: "off" }).auth).toEqual({
      enabled: false,
      disabledReason: "GUICHET_AUTH=off",
      apiKeys: [],
    });
    expect(loadConfig({ GUICHET_AUTH: "off", GUICHET_API_KEYS: KEYS }).auth.enabled).toBe(false);
  });

  it("is on locally as soon as a credential is configured, and GUICHET_AUTH=on needs one", () => {
    expect(loadConfig({ GUICHET_API_KEYS: KEYS }).auth.enabled).toBe(true);
    expect(message({ GUICHET_AUTH: "on" })).toMatch(/GUICHET_AUTH=on but no credential is configured/);
  });

  it("reads keys from a file too, and names bad entries", () => {
    const file = join(dir, "keys.json");
    writeFileSync(file, JSON.stringify([{ name: "bob", sha256: digest("gch_bob") }]));
    const { auth: config } = loadConfig({ GUICHET_API_KEYS_FILE: file, GUICHET_API_KEYS: KEYS });
    expect(config.apiKeys.map((k) => k.name)).toEqual(["alice", "reader", "bob"]);
    expect(config.apiKeys[2]!.scopes).toEqual(["invoke"]);
    expect(message({ GUICHET_API_KEYS_FILE: join(dir, "missing.json") })).toContain("GUICHET_API_KEYS_FILE: cannot read");
    expect(message({ GUICHET_API_KEYS: "[{" })).toContain("GUICHET_API_KEYS: not valid JSON");
    expect(message({ GUICHET_API_KEYS: JSON.stringify([{ name: "x", sha256: "abc" }]) })).toContain(
      "GUICHET_API_KEYS: [0.sha256] must be the SHA-256 digest",
    );
    expect(message({ GUICHET_API_KEYS: JSON.stringify([{ name: "x", sha256: digest("k"), key: "k" }]) })).toContain("GUICHET_API_KEYS");
    expect(message({ GUICHET_API_KEYS: KEYS, GUICHET_API_KEYS_FILE: join(dir, "dup.json") })).toContain("cannot read");
    writeFileSync(join(dir, "dup.json"), JSON.stringify([{ name: "alice", sha256: digest("other") }]));
    expect(message({ GUICHET_API_KEYS: KEYS, GUICHET_API_KEYS_FILE: join(dir, "dup.json") })).toContain(
      'the key name "alice" is used twice',
    );
  });

  it("takes one JWT verifier, with a secret long enough and a well-formed JWKS", () => {
    expect(message({ GUICHET_JWT_SECRET: SECRET, GUICHET_JWT_JWKS_URL: "https://idp.example.fr/jwks" })).toContain("set only one of them");
    expect(message({ GUICHET_JWT_SECRET: "short" })).toContain("GUICHET_JWT_SECRET: must be at least 32 characters");
    const file = join(dir, "bad-jwks.json");
    writeFileSync(file, JSON.stringify({ keys: [] }));
    expect(message({ GUICHET_JWT_JWKS_FILE: file })).toContain("GUICHET_JWT_JWKS_FILE");
    expect(loadConfig({ GUICHET_JWT_JWKS_URL: "https://idp.example.fr/jwks" }).auth.jwt?.verifier).toEqual({
      kind: "jwks-url",
      url: "https://idp.example.fr/jwks",
    });
  });
});

describe("HTTP hardening", () => {
  it("sets helmet's security headers", async () => {
    const res = await request(makeApp(undefined)).get("/health");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.headers["x-powered-by"]).toBeUndefined();
  });

  it("allows only the configured browser origins", async () => {
    const app = makeApp(undefined, { cors: { origins: ["https://portail.example.fr"], credentials: true } });
    const allowed = await request(app).get("/health").set("Origin", "https://portail.example.fr");
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://portail.example.fr");
    expect(allowed.headers["access-control-allow-credentials"]).toBe("true");
    const other = await request(app).get("/health").set("Origin", "https://evil.example");
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await request(app)
      .options("/invoke")
      .set("Origin", "https://portail.example.fr")
      .set("Access-Control-Request-Method", "POST")
      .set("Access-Control-Request-Headers", "content-type,x-api-key");
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-headers"]).toContain("X-API-Key");
    const none = await request(makeApp(undefined)).get("/health").set("Origin", "https://portail.example.fr");
    expect(none.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("refuses a wildcard origin with credentials, and malformed origins, at start-up", () => {
    expect(() => loadConfig({ GUICHET_CORS_ORIGINS: "*", GUICHET_CORS_CREDENTIALS: "true" })).toThrow(
      /wildcard "\*" cannot be used with GUICHET_CORS_CREDENTIALS=true/,
    );
    expect(() => loadConfig({ GUICHET_CORS_ORIGINS: "portail.example.fr/app" })).toThrow(/is not an origin/);
    expect(loadConfig({ GUICHET_CORS_ORIGINS: "*" }).cors).toEqual({ origins: ["*"], credentials: false });
  });

  it("never writes credentials to the logs, but names the caller", async () => {
    let logs = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const logger = createLogger("info", "guichet", sink);
    const app = makeApp(auth({ GUICHET_API_KEYS: KEYS }), { logger });
    await request(app).post("/invoke").set("Authorization", `Bearer ${KEY}`).send(QUESTION);
    await request(app).post("/invoke").set("X-API-Key", `${KEY}wrong`).send(QUESTION);
    logger.info({ headers: { authorization: `Bearer ${KEY}`, "x-api-key": KEY, cookie: "sid=secret" } }, "headers");
    logger.info({ req: { headers: { authorization: `Bearer ${KEY}` } } }, "nested");
    expect(logs).toContain('"principal":"key:alice"');
    expect(logs).toContain("[redacted]");
    expect(logs).not.toContain(KEY);
    expect(logs).not.toContain("sid=secret");
    expect(logs).not.toContain("carte Vitale");
  });
});

describe("GUICHET_AUTH=optional (the public page beside partners' keys)", () => {
  const optional = () => auth({ GUICHET_AUTH: "optional", GUICHET_API_KEYS: KEYS });

  it("serves a request without a credential as the anonymous caller", async () => {
    const res = await request(makeApp(optional())).post("/invoke").send(QUESTION);
    expect(res.status).toBe(200);
    expect(res.body.citations.length).toBeGreaterThan(0);
  });

  it("still checks a credential that is presented: a wrong one is refused, a key keeps its own limit and scopes", async () => {
    const app = makeApp(optional());
    expect((await request(app).post("/invoke").set("X-API-Key", "gch_not-a-key-0123456789").send(QUESTION)).status).toBe(401);
    expect((await request(app).post("/invoke").set("X-API-Key", READ_ONLY_KEY).send(QUESTION)).status).toBe(403);
    expect((await request(app).post("/invoke").set("X-API-Key", KEY).send(QUESTION)).status).toBe(200);
  });

  it("is a value of GUICHET_AUTH, also without any credential configured", () => {
    expect(loadConfig({ GUICHET_AUTH: "optional" }).auth).toMatchObject({ enabled: true, anonymous: true, apiKeys: [] });
    expect(loadConfig({ GUICHET_AUTH: "on", GUICHET_API_KEYS: KEYS }).auth.anonymous).toBeUndefined();
  });
});
