import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  hasUrlPassword,
  isFileReference,
  isPlaceholder,
  isSecretKey,
  literalPart,
  normalizeKey,
  secretValueProblem,
  valuePatternsIn,
} from "../tools/deploy/secret-rules.js";
import { formatFinding, scanEnvFile, scanYaml, type Finding } from "../tools/deploy/secret-scan.js";
import { isDotenvFile, isYamlFile, listRepoFiles } from "../tools/deploy/repo-files.js";

const root = fileURLToPath(new URL("../", import.meta.url));

// Credential-shaped strings are assembled at run time, so that this file is not itself a finding for other scanners.
const FAKE = {
  openai: "sk-" + "Ab3dE6gH9jK2mN5pQ8sT1vWx",
  openaiProject: "sk-" + "proj-" + "Ab3dE6gH9j_K2mN5pQ8sT1vWx-yZ",
  privateKey: "-----BEGIN " + "RSA PRIVATE KEY-----",
  opensshKey: "-----BEGIN " + "OPENSSH PRIVATE KEY-----",
  aws: "AKIA" + "IOSFODNN7EXAMPL2",
  jwt: "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiJndWljaGV0In0" + "." + "c2lnbmF0dXJlLXNpZ25hdHVyZQ",
  github: "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
  guichet: "gch_" + "3qZ8xW1vU4tS7rQ0pO3nM6lK9jI2hG5fE8dC1bA4zY7",
  password: "Tr0ub4dor" + "-horse-battery",
};

const rules = (findings: Finding[]) => findings.map((f) => [f.line, f.rule, f.key]);

describe("secret rules", () => {
  it("knows secret-named keys in any spelling, and not their look-alikes", () => {
    for (const key of ["password", "POSTGRES_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD", "secret", "jwtSecret", "client-secret",
      "token", "GUICHET_METRICS_TOKEN", "api_key", "apiKey", "X-API-Key", "GUICHET_API_KEYS", "apikey", "private_key",
      "privateKey", "aws_secret_access_key", "AWS_ACCESS_KEY_ID", "credentials", "passphrase", "secret_key"]) {
      expect({ key, secret: isSecretKey(key) }).toEqual({ key, secret: true });
    }
    for (const key of ["token_type", "max_tokens", "GUICHET_MAX_TOKENS_ANSWER", "credentials_file", "password_file",
      "POSTGRES_PASSWORD_FILE", "secretName", "secretKeyRef", "secrets", "tokenizer", "keys", "name"]) {
      expect({ key, secret: isSecretKey(key) }).toEqual({ key, secret: false });
    }
    expect(normalizeKey("clientSecret.Value-X")).toBe("client_secret_value_x");
  });

  it("takes references out, keeps defaults, and accepts paths, empty values and change-me placeholders", () => {
    expect(literalPart("${A}${B:?x}$(C){{ .Values.d }}${{ secrets.E }}")).toBe("");
    expect(literalPart("${A:-fallback}")).toBe("fallback");
    expect(literalPart("Bearer ${TOKEN}")).toBe("");
    expect(["", "change-me", "CHANGE_ME_later", "changeme-123"].every(isPlaceholder)).toBe(true);
    expect(["changes", "me", "xchange-me"].some(isPlaceholder)).toBe(false);
    expect(["/run/secrets/pg", "./secrets/token", "../x", "~/k", "file:///k"].every(isFileReference)).toBe(true);
    expect(isFileReference("hunter2")).toBe(false);
    expect(secretValueProblem("${A}")).toBeUndefined();
    expect(secretValueProblem("hunter2")).toBe("literal value");
    expect(secretValueProblem("${A:-hunter2}")).toBe("literal default or text around a reference");
  });

  it("finds passwords in URLs, unless referenced or placeholders", () => {
    expect(hasUrlPassword("postgres://guichet:hunter2@db:5432/guichet")).toBe(true);
    expect(hasUrlPassword("redis://:hunter2@redis:6379")).toBe(true);
    expect(hasUrlPassword("postgres://guichet:${PG_PASSWORD:?x}@db/guichet")).toBe(false);
    expect(hasUrlPassword("postgres://guichet:$(PG_PASSWORD)@db/guichet")).toBe(false);
    expect(hasUrlPassword("postgres://guichet:change-me@db/guichet")).toBe(false);
    expect(hasUrlPassword("postgres://guichet@db/guichet")).toBe(false);
    expect(hasUrlPassword("http://127.0.0.1:3000/health")).toBe(false);
  });

  it("recognises credential-shaped values", () => {
    expect(valuePatternsIn(FAKE.openai)).toEqual(["OpenAI-style API key"]);
    expect(valuePatternsIn(FAKE.openaiProject)).toEqual(["OpenAI-style API key"]);
    expect(valuePatternsIn(FAKE.privateKey)).toEqual(["private key block"]);
    expect(valuePatternsIn(FAKE.opensshKey)).toEqual(["private key block"]);
    expect(valuePatternsIn(FAKE.aws)).toEqual(["AWS access key id"]);
    expect(valuePatternsIn(FAKE.jwt)).toEqual(["JSON Web Token"]);
    expect(valuePatternsIn(FAKE.github)).toEqual(["GitHub token"]);
    expect(valuePatternsIn(FAKE.guichet)).toEqual(["Guichet API key"]);
    expect(valuePatternsIn("task-runner-configuration-x disk-usage-alerting-threshold -----BEGIN PUBLIC KEY-----")).toEqual([]);
  });
});

describe("scanYaml", () => {
  it("flags literal values of secret-named keys, naming file, line and key but never the value", () => {
    const text = [
      "db:",
      `  password: ${FAKE.password}`,
      "  port: 5432",
      "headers:",
      "  X-API-Key: abcdef",
      "numbers:",
      "  pin_token: 123456",
      "",
    ].join("\n");
    const findings = scanYaml(text, "conf/app.yml");
    expect(rules(findings)).toEqual([
      [2, "secret-named key holds a literal value", "password"],
      [5, "secret-named key holds a literal value", "X-API-Key"],
      [7, "secret-named key holds a literal value", "pin_token"],
    ]);
    expect(formatFinding(findings[0]!)).toBe("conf/app.yml:2: secret-named key holds a literal value (key password)");
    expect(findings.map(formatFinding).join("\n")).not.toContain(FAKE.password);
  });

  it("accepts references, file paths, placeholders, empty values, booleans and GitHub permissions", () => {
    const text = [
      "services:",
      "  db:",
      "    environment:",
      "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}",
      "      POSTGRES_PASSWORD_FILE: /run/secrets/pg",
      "      OPENAI_API_KEY: ${OPENAI_API_KEY:-}",
      "      GUICHET_JWT_SECRET:",
      "      GUICHET_METRICS_TOKEN: change-me-metrics-token",
      "    secrets: [pg]",
      "authorization:",
      "  credentials_file: /etc/prometheus/secrets/token",
      "  credentials: ./token",
      "spec:",
      "  automountServiceAccountToken: false",
      "permissions:",
      "  id-token: write",
      "steps:",
      "  - with:",
      "      token: ${{ secrets.GITHUB_TOKEN }}",
      "exp_labels:",
      "  gen_ai_token_type: input",
      "",
    ].join("\n");
    expect(scanYaml(text, "ok.yml")).toEqual([]);
  });

  it("flags a literal default inside a reference and text around one", () => {
    expect(rules(scanYaml("env:\n  DB_PASSWORD: ${DB_PASSWORD:-hunter2}\n  API_TOKEN: abc${X}\n", "d.yml"))).toEqual([
      [2, "secret-named key holds a literal default or text around a reference", "DB_PASSWORD"],
      [3, "secret-named key holds a literal default or text around a reference", "API_TOKEN"],
    ]);
  });

  it("reads Compose's KEY=value lists and Kubernetes name/value entries", () => {
    const text = [
      "environment:",
      "  - DB_PASSWORD=hunter2",
      "  - DB_USER=guichet",
      "  - OTHER_TOKEN=${OTHER_TOKEN}",
      "env:",
      "  - name: GUICHET_JWT_SECRET",
      "    value: a-real-looking-secret-value",
      "  - name: GUICHET_METRICS_TOKEN",
      "    valueFrom:",
      "      secretKeyRef: { name: guichet, key: metrics-token }",
      "",
    ].join("\n");
    expect(rules(scanYaml(text, "k.yml"))).toEqual([
      [2, "secret-named key holds a literal value", "DB_PASSWORD"],
      [7, "secret-named key holds a literal value", "GUICHET_JWT_SECRET"],
    ]);
  });

  it("holds every value of a Kubernetes Secret to the rule, base64 data decoded", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const text = [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: guichet-token",
      "data:",
      `  database-url: ${b64("anything-real")}`,
      `  metrics: ${b64("change-me")}`,
      "stringData:",
      "  jwt: hunter2",
      "  api: ''",
      "---",
      "kind: ConfigMap",
      "data:",
      "  plain: hello",
      "",
    ].join("\n");
    expect(rules(scanYaml(text, "s.yaml"))).toEqual([
      [6, "secret-named key holds a literal value", "database-url"],
      [9, "secret-named key holds a literal value", "jwt"],
    ]);
  });

  it("flags passwords in URLs whatever the key", () => {
    expect(rules(scanYaml("DATABASE_URL: postgres://guichet:hunter2@db/guichet\nurls:\n  - redis://:hunter2@redis\n", "u.yml"))).toEqual([
      [1, "password written inside a URL", "DATABASE_URL"],
      [3, "password written inside a URL", ""],
    ]);
    expect(scanYaml("DATABASE_URL: postgres://guichet:${POSTGRES_PASSWORD:?x}@db/guichet\n", "u.yml")).toEqual([]);
  });

  it("flags credential-shaped text anywhere, comments and block scalars included, on the right line", () => {
    const text = [
      `# old key: ${FAKE.openai}`,
      "key: |",
      `  ${FAKE.privateKey}`,
      "  MIIE...",
      "---",
      `aws: ${FAKE.aws}`,
      `header: Bearer ${FAKE.jwt}`,
      `gh: ${FAKE.github}`,
      `guichet: "${FAKE.guichet}"`,
      "",
    ].join("\n");
    expect(rules(scanYaml(text, "p.yml"))).toEqual([
      [1, "looks like a OpenAI-style API key", undefined],
      [3, "looks like a private key block", undefined],
      [6, "looks like a AWS access key id", undefined],
      [7, "looks like a JSON Web Token", undefined],
      [8, "looks like a GitHub token", undefined],
      [9, "looks like a Guichet API key", undefined],
    ]);
  });

  it("reports a file it cannot parse, since it cannot check it", () => {
    expect(rules(scanYaml("a: [1, 2\nb: {\n", "broken.yml"))).toEqual([[2, expect.stringMatching(/^cannot be parsed as YAML/), undefined]]);
  });
});

describe("scanEnvFile", () => {
  const example = readFileSync(join(root, ".env.example"), "utf8");

  it("flags a real-looking value, a URL password, a key-shaped value and a malformed line in a broken copy", () => {
    const copy = example
      .replace("POSTGRES_PASSWORD=change-me-postgres", `POSTGRES_PASSWORD=${FAKE.password}`)
      .replace("OPENAI_API_KEY=", `OPENAI_API_KEY=${FAKE.openai}`)
      .concat("DATABASE_URL=postgres://guichet:hunter2@postgres/guichet\nnot a variable\n");
    const lineOf = (start: string) => copy.split("\n").findIndex((l) => l.startsWith(start)) + 1;
    expect(rules(scanEnvFile(copy, ".env.example"))).toEqual([
      [lineOf("not a variable"), `line ${lineOf("not a variable")}: not a KEY=value line`, undefined],
      [lineOf("POSTGRES_PASSWORD="), "secret-named key holds a literal value", "POSTGRES_PASSWORD"],
      [lineOf("OPENAI_API_KEY="), "secret-named key holds a literal value", "OPENAI_API_KEY"],
      [lineOf("DATABASE_URL="), "password written inside a URL", "DATABASE_URL"],
      [lineOf("OPENAI_API_KEY="), "looks like a OpenAI-style API key", undefined],
    ]);
  });
});

describe("the repository", () => {
  it("lists YAML and dotenv files outside installed, generated and git folders, without following links", () => {
    const tmp = mkdtempSync(join(tmpdir(), "guichet-yaml-files-"));
    try {
      for (const dir of ["node_modules/p", "data", "reports", "coverage", "a/node_modules", "a/data", ".git", "b"]) mkdirSync(join(tmp, dir), { recursive: true });
      for (const file of ["node_modules/p/x.yml", "data/x.yml", "reports/x.yaml", "coverage/x.yml", "a/node_modules/x.yml", ".git/x.yml",
        "a/data/kept.yml", "b/c.yaml", "top.YML", "notes.txt", ".env", ".env.example", "b/app.env", "b/.envrc"]) writeFileSync(join(tmp, file), "a: 1\n");
      symlinkSync(join(tmp, "b"), join(tmp, "linked"));
      expect(listRepoFiles(tmp, isYamlFile)).toEqual(["a/data/kept.yml", "b/c.yaml", "top.YML"]);
      expect(listRepoFiles(tmp, isDotenvFile)).toEqual([".env.example", "b/app.env"]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  const files = listRepoFiles(root, isYamlFile);

  it("finds the stack's and the observability assets' YAML", () => {
    expect(files).toEqual(expect.arrayContaining([
      "docker-compose.yml",
      "deploy/compose/prometheus/prometheus.yml",
      "deploy/observability/prometheus/prometheus.yml",
      "deploy/observability/otel-collector/config.yaml",
    ]));
    expect(files.some((f) => f.startsWith("node_modules/") || f.startsWith("data/"))).toBe(false);
  });

  it("holds no secret in any YAML file", () => {
    const findings = files.flatMap((file) => scanYaml(readFileSync(join(root, file), "utf8"), file));
    expect(findings.map(formatFinding)).toEqual([]);
  });

  it("holds no secret in any committed dotenv file, .env.example included", () => {
    const dotenvFiles = listRepoFiles(root, isDotenvFile);
    expect(dotenvFiles).toContain(".env.example");
    const findings = dotenvFiles.flatMap((file) => scanEnvFile(readFileSync(join(root, file), "utf8"), file));
    expect(findings.map(formatFinding)).toEqual([]);
  });

  it("ignores .env and commits .env.example", () => {
    let ignored: (path: string) => boolean;
    try {
      execFileSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: root, stdio: "ignore" });
      ignored = (path) => {
        try {
          execFileSync("git", ["check-ignore", "-q", "--no-index", path], { cwd: root, stdio: "ignore" });
          return true;
        } catch {
          return false;
        }
      };
    } catch {
      console.warn("not a git work tree: .gitignore is read directly");
      const patterns = readFileSync(join(root, ".gitignore"), "utf8").split("\n").map((l) => l.trim());
      ignored = (path) => patterns.includes(path);
    }
    expect({ ".env": ignored(".env"), ".env.example": ignored(".env.example") }).toEqual({ ".env": true, ".env.example": false });
  });
});
