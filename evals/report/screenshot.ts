import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import type { Page } from "playwright-core";
import { runMain, writeLine, type CliIo } from "../../cli/io.js";
import { launchChromium } from "./chromium.js";

export interface ScreenshotOptions {
  width?: number;
  /** The viewport's height; the shot is that high unless `fullPage`. */
  height?: number;
  fullPage?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Waits for the page's script to say that the charts are drawn; a page whose charts failed is an error. */
export async function waitForCharts(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForSelector("html[data-ready]", { state: "attached", timeout: timeoutMs });
  const ready = await page.getAttribute("html", "data-ready");
  if (ready !== "true") throw new Error(`the report's charts were not drawn: ${(await page.getAttribute("html", "data-error")) ?? ready}`);
}

/**
 * A PNG of a report page in headless Chromium, once its charts are drawn. Every request but the page's own is
 * aborted (the page needs none); returns the URLs that were.
 */
export async function screenshotReport(htmlFile: string, outFile: string, options: ScreenshotOptions = {}): Promise<{ blocked: string[] }> {
  const pageUrl = pathToFileURL(resolve(htmlFile)).href;
  const browser = await launchChromium(options.env);
  try {
    const page = await browser.newPage({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
    const blocked: string[] = [];
    await page.route("**/*", (route) => {
      if (route.request().url() === pageUrl) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    await page.goto(pageUrl);
    await waitForCharts(page, options.timeoutMs);
    mkdirSync(dirname(resolve(outFile)), { recursive: true });
    await page.screenshot({ path: outFile, fullPage: options.fullPage ?? false });
    return { blocked };
  } finally {
    await browser.close();
  }
}

function pixels(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 10_000) throw new InvalidArgumentError("a whole number of pixels between 100 and 10000");
  return n;
}

/** `npm run eval:screenshot -- <report.html> <out.png> [--width 1280] [--height 900 | --full-page]` */
export async function screenshotMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("eval:screenshot")
    .description("Take a PNG of an eval report page in headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium)")
    .argument("<html>", "the report page")
    .argument("<png>", "the picture to write")
    .option("--width <px>", "viewport width", pixels, 1280)
    .option("--height <px>", "viewport height (the shot's height unless --full-page)", pixels, 900)
    .option("--full-page", "the whole page, however long", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const [html, png] = program.args as [string, string];
  const opts = program.opts<{ width: number; height: number; fullPage: boolean }>();
  const { blocked } = await screenshotReport(html, png, { ...opts, env: io.env });
  for (const url of blocked) await writeLine(io.stderr, `warning: the page asked for ${url} (blocked)`);
  await writeLine(io.stdout, `wrote ${png}`);
  return 0;
}

if (process.argv[1]?.endsWith("evals/report/screenshot.ts")) await runMain(screenshotMain);
