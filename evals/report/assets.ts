import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const UMD_FILE = "chart.umd.min.js";

/**
 * Chart.js's UMD build, to inline in the page. The package's exports do not expose the file, so it is found beside
 * the CommonJS entry point. The source-map comment is dropped: a browser with its tools open would fetch the map.
 */
export function chartJsSource(): string {
  const entry = createRequire(import.meta.url).resolve("chart.js");
  const file = join(dirname(entry), UMD_FILE);
  if (!existsSync(file)) throw new Error(`Chart.js's UMD build is not at ${file}: has the chart.js package changed its layout?`);
  return readFileSync(file, "utf8").replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, "\n");
}

const asset = (name: string) => readFileSync(fileURLToPath(new URL(`./${name}`, import.meta.url)), "utf8");

/** The page's own script (draws the charts from the data islands) and style sheet. */
export const pageScript = (): string => asset("page-script.js");
export const pageStyle = (): string => asset("report.css");
