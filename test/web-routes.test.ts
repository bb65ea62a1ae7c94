import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import request from "supertest";
import { buildGraph } from "../graphs/guichet.js";
import { createApp } from "../server/app.js";
import { pageConfig } from "../server/web-routes.js";
import { loadConfig } from "../tools/config.js";
import { subsetCapabilities, tempDir } from "./helpers/fixtures.js";

const capabilities = subsetCapabilities();
const appWith = (web?: { dsfrDir?: string }) =>
  createApp({
    graph: buildGraph(), capabilities, logger: pino({ level: "silent" }), maxQuestionLength: 500, topK: 10, maxPerFiche: 2, requestTimeoutMs: 5000, version: "test",
    ...(web ? { web } : {}),
  });

let dsfr: string;
beforeAll(() => {
  dsfr = tempDir("guichet-dsfr-");
  writeFileSync(join(dsfr, "dsfr.min.css"), "/* the design system */");
  mkdirSync(join(dsfr, "fonts"));
  writeFileSync(join(dsfr, "fonts", "Marianne-Regular.woff2"), "font");
});
afterAll(() => rmSync(dsfr, { recursive: true, force: true }));

describe("the chat page's routes", () => {
  it("are not served when the page is off", async () => {
    const app = appWith();
    expect((await request(app).get("/")).status).toBe(404);
    expect((await request(app).get("/ui/app/main.js")).status).toBe(404);
  });

  it("serve the page with its own policy, the deployment's limits and the sources' dates, without the State's brand", async () => {
    const app = appWith({});
    const res = await request(app).get("/").expect(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    const csp = res.headers["content-security-policy"] as string;
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(res.text).toContain('<base href="./">');
    expect(res.text).not.toContain("fr-logo");
    expect(res.text).not.toMatch(/\{\{\w+\}\}/);
    const config = JSON.parse(/<script type="application\/json" id="guichet-config">(.*?)<\/script>/s.exec(res.text)![1]!) as Record<string, unknown>;
    expect(config).toMatchObject({ maxQuestionChars: 500, threads: false, feedback: false, licence: expect.stringContaining("Licence Ouverte 2.0") });
    expect(config.sources).toEqual([{ label: "service-public.fr", snapshot_date: expect.stringMatching(/^2020-\d\d-\d\d$/) }]);
  });

  it("serve the neutral theme in DSFR's place when DSFR is not installed, and nothing else under /dsfr/", async () => {
    const app = appWith({});
    const css = await request(app).get("/dsfr/dsfr.min.css").expect(200);
    expect(css.headers["content-type"]).toMatch(/^text\/css/);
    expect(css.text).toContain(".fr-btn");
    expect((await request(app).get("/dsfr/fonts/Marianne-Regular.woff2")).status).toBe(404);
  });

  it("serve DSFR's own files and its brand block when its dist folder is given", async () => {
    const app = appWith({ dsfrDir: dsfr });
    expect((await request(app).get("/")).text).toContain('<p class="fr-logo">');
    expect((await request(app).get("/dsfr/dsfr.min.css").expect(200)).text).toBe("/* the design system */");
    expect((await request(app).get("/dsfr/fonts/Marianne-Regular.woff2")).status).toBe(200);
  });

  it("serve the page's modules and strings, but not its template, dot files or paths outside the folder", async () => {
    const app = appWith({});
    const main = await request(app).get("/ui/app/main.js").expect(200);
    expect(main.headers["content-type"]).toMatch(/^text\/javascript/);
    expect((await request(app).get("/ui/i18n/ar.json").expect(200)).body.dir).toBe("rtl");
    const template = await request(app).get("/ui/index.html");
    expect(template.status).toBe(404);
    expect(template.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect((await request(app).get("/ui/../package.json")).status).toBe(404);
    expect((await request(app).get("/ui/%2e%2e/package.json")).status).toBe(404);
    expect((await request(app).post("/").send({})).status).toBe(405);
  });

  it("take the path prefix a proxy announces as the page's base, and only a plain path", async () => {
    const app = appWith({});
    expect((await request(app).get("/").set("X-Forwarded-Prefix", "/guichet")).text).toContain('<base href="/guichet/">');
    expect((await request(app).get("/").set("X-Forwarded-Prefix", "/a/b/")).text).toContain('<base href="/a/b/">');
    for (const hostile of ["//evil.example/x", "https://evil.example/", '/x"><script>', "/x y"]) {
      expect((await request(app).get("/").set("X-Forwarded-Prefix", hostile)).text).toContain('<base href="./">');
    }
  });

  it("name each source with its own snapshot date", () => {
    const config = pageConfig({
      maxQuestionLength: 500, threads: true, feedback: true,
      snapshot: { source: "x", date: "2026-03-13", fiches: 3, sourceDates: { "vdd-npm": "2020-11-02", "vdd-xml": "2020-12-01", travail: "2026-03-13" } },
    });
    expect(config.sources).toEqual([
      { label: "service-public.fr", snapshot_date: "2020-12-01" },
      { label: "travail-emploi.gouv.fr", snapshot_date: "2026-03-13" },
    ]);
  });

  it("are configured by GUICHET_WEB and GUICHET_WEB_DSFR_DIR, checked at start-up", () => {
    expect(loadConfig({}).web.enabled).toBe(true);
    expect(loadConfig({ GUICHET_WEB: "off" }).web.enabled).toBe(false);
    expect(loadConfig({ GUICHET_WEB_DSFR_DIR: dsfr }).web.dsfrDir).toBe(dsfr);
    expect(() => loadConfig({ GUICHET_WEB_DSFR_DIR: join(dsfr, "fonts") })).toThrow(/GUICHET_WEB_DSFR_DIR: no dsfr\.min\.css/);
    expect(() => loadConfig({ GUICHET_WEB: "yes" })).toThrow(/GUICHET_WEB/);
  });
});
