import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, chromiumPath, launchChromium } from "../evals/report/chromium.js";
import { screenshotMain, screenshotReport, waitForCharts } from "../evals/report/screenshot.js";
import { writeReport } from "../evals/report/write-report.js";
import { sampleHistory, sampleReport } from "./eval-report-fixture.js";
import { tempDir } from "./helpers/fixtures.js";
import { memoryIo } from "./helpers/io.js";

const available = chromiumAvailable();
if (!available) console.warn(`eval report browser tests skipped: no Chromium at ${chromiumPath()} (apt-get install chromium, or set CHROMIUM_PATH)`);
const describeWithChromium = available ? describe : describe.skip;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const pngSize = (file: string) => {
  const png = readFileSync(file);
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
};

/** What the page's visible canvases show: their size, and whether they differ from a blank canvas of that size. */
const canvasState = (page: Page) =>
  page.$$eval("canvas", (canvases) =>
    canvases
      .filter((c) => !c.closest("[hidden]"))
      .map((c) => {
        const blank = c.ownerDocument.createElement("canvas");
        blank.width = c.width;
        blank.height = c.height;
        return { id: c.id, width: c.width, height: c.height, painted: c.toDataURL() !== blank.toDataURL() };
      }),
  );

describeWithChromium("the eval report page in Chromium", () => {
  let dir: string;
  let htmlFile: string;
  let browser: Browser;
  beforeAll(async () => {
    dir = tempDir("guichet-report-browser-");
    htmlFile = writeReport(join(dir, "report"), sampleReport(), sampleHistory()).html;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws every chart without a network request or a console error, and switches splits", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageUrl = pathToFileURL(htmlFile).href;
    const requests: string[] = [];
    const routed: string[] = [];
    const errors: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.route("**/*", (route) => {
      routed.push(route.request().url());
      return route.request().url() === pageUrl ? route.continue() : route.abort();
    });
    await page.goto(pageUrl);
    await waitForCharts(page);

    const visible = await canvasState(page);
    // By split (4), the first split's breakdowns (3 × 4), the trend of two splits (2 × 4).
    expect(visible).toHaveLength(4 + 12 + 8);
    for (const canvas of visible) {
      expect(canvas.width).toBeGreaterThan(100);
      expect(canvas.height).toBeGreaterThan(100);
      expect(canvas.painted).toBe(true);
    }
    expect(visible.map((c) => c.id)).toContain("chart-by-0-class-generator");
    expect(await page.locator(".split-picker").isVisible()).toBe(true);
    expect(await page.locator('.split-panel[data-split-index="1"]').isVisible()).toBe(false);

    await page.selectOption("#split-picker", "1");
    const afterSwitch = await canvasState(page);
    expect(afterSwitch.map((c) => c.id)).toContain("chart-by-1-style-answer");
    expect(afterSwitch.map((c) => c.id)).not.toContain("chart-by-0-style-answer");
    for (const canvas of afterSwitch) expect(canvas.painted).toBe(true);

    expect(requests).toEqual([pageUrl]);
    expect(routed.filter((url) => url !== pageUrl)).toEqual([]);
    expect(errors).toEqual([]);
    // The hostile question stayed text: no image element came out of it.
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("details.question summary .qtext").last().textContent()).toContain("</script><img src=x onerror=alert(1)>");
    await page.close();
  });

  it("takes a screenshot of the drawn page, of the viewport or the whole page", async () => {
    const viewport = join(dir, "shots", "viewport.png");
    expect(await screenshotReport(htmlFile, viewport, { width: 1024, height: 700 })).toEqual({ blocked: [] });
    expect(pngSize(viewport)).toEqual({ width: 1024, height: 700 });

    const full = join(dir, "shots", "full.png");
    const io = memoryIo(process.env);
    expect(await screenshotMain([htmlFile, full, "--width", "1280", "--full-page"], io)).toBe(0);
    expect(io.out()).toBe(`wrote ${full}\n`);
    expect(io.err()).toBe("");
    const size = pngSize(full);
    expect(size.width).toBe(1280);
    expect(size.height).toBeGreaterThan(3000);
  });

  it("fails when the page's charts cannot be drawn", async () => {
    const broken = join(dir, "broken.html");
    const html = readFileSync(htmlFile, "utf8").replace(/<script type="application\/json" id="chart-data">[^<]*<\/script>/, '<script type="application/json" id="chart-data">{not json</script>');
    writeFileSync(broken, html);
    await expect(screenshotReport(broken, join(dir, "broken.png"), { timeoutMs: 10_000 })).rejects.toThrow(/the report's charts were not drawn: SyntaxError/);
  });
});
