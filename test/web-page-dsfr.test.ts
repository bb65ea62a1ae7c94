import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser } from "playwright-core";
import { chromiumAvailable, launchChromium } from "../evals/report/chromium.js";
import { seriousViolations } from "./helpers/axe.js";
import { startWebApp, type WebApp } from "./helpers/web-app.js";

/** DSFR's dist folder: named for the test, else the installed optional dependency. */
const installed = resolve("node_modules/@gouvfr/dsfr/dist");
const dsfrDir = process.env.GUICHET_TEST_DSFR_DIR || (existsSync(`${installed}/dsfr.min.css`) ? installed : undefined);
if (!dsfrDir) {
  console.warn(
    "chat page on DSFR's own files: skipped, @gouvfr/dsfr is not installed (an optional dependency whose terms are accepted at install, docs/web.md); GUICHET_TEST_DSFR_DIR names a copy of its dist folder",
  );
} else if (!chromiumAvailable()) {
  console.warn("chat page on DSFR's own files: skipped, no Chromium (apt-get install chromium, or set CHROMIUM_PATH)");
}
const describeWithDsfr = dsfrDir && chromiumAvailable() ? describe : describe.skip;

declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };
declare function getComputedStyle(element: unknown): { fontFamily: string };

describeWithDsfr("the chat page on DSFR's own files", () => {
  let browser: Browser;
  let app: WebApp;
  beforeAll(async () => {
    browser = await launchChromium();
    app = await startWebApp({ web: { dsfrDir: dsfrDir! } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  for (const [scheme, width, language] of [["light", 1280, "fr"], ["dark", 1280, "fr"], ["light", 320, "fr"], ["dark", 390, "ar"]] as const) {
    it(`shows the State's brand in Marianne, answers, and passes axe (${scheme}, ${width} px, ${language})`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      try {
        await page.goto(app.url);
        await page.locator("#question-count", { hasText: "500" }).waitFor();
        expect(await page.locator(".fr-header .fr-logo").innerText()).toMatch(/République\s+Française/i);
        expect(await page.locator("body").evaluate((body) => getComputedStyle(body).fontFamily)).toMatch(/Marianne/);
        if (language === "ar") await page.selectOption("#language", "ar");
        await page.fill("#question", "Combien coûte un passeport ?");
        await page.press("#question", "Enter");
        await page.locator('.guichet-answer[aria-busy="false"] .guichet-citations a').first().waitFor({ timeout: 20_000 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        expect(await seriousViolations(page)).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 40_000);
  }
});
