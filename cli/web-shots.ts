import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";

export const SHOT_QUESTIONS = ["Combien coûte un passeport ?", "Et pour un enfant ?"];

/** The four views the README shows: desktop and phone widths, light and dark schemes. */
export const SHOTS = [
  { name: "web-desktop-light", viewport: { width: 1280, height: 900 }, colorScheme: "light" },
  { name: "web-desktop-dark", viewport: { width: 1280, height: 900 }, colorScheme: "dark" },
  { name: "web-phone-light", viewport: { width: 390, height: 844 }, colorScheme: "light" },
  { name: "web-phone-dark", viewport: { width: 390, height: 844 }, colorScheme: "dark" },
] as const;

/** Asks the page a question and its follow-up in each view and saves a full-page PNG per view; returns the files. */
export async function captureChatPage(browser: Browser, url: string, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const shot of SHOTS) {
    const context = await browser.newContext({ viewport: shot.viewport, colorScheme: shot.colorScheme, reducedMotion: "reduce", locale: "fr-FR" });
    try {
      const page = await context.newPage();
      await page.goto(url);
      for (const question of SHOT_QUESTIONS) {
        await page.fill("#question", question);
        await page.press("#question", "Enter");
        await page.locator('.guichet-turn:last-child .guichet-answer[aria-busy="false"]').waitFor({ timeout: 30_000 });
      }
      await page.locator("#question").blur();
      const file = join(outDir, `${shot.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      files.push(file);
    } finally {
      await context.close();
    }
  }
  return files;
}
