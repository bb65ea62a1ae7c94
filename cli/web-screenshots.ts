import { Command } from "commander";
import { launchChromium } from "../evals/report/chromium.js";
import { startServer } from "../server/main.js";
import { loadConfig } from "../tools/config.js";
import { createLogger } from "../tools/logger.js";
import { captureChatPage } from "./web-shots.js";
import { runMain, writeLine, type CliIo } from "./io.js";

/**
 * `npm run web:screenshots -- [--out docs/img]`: starts the server as configured (on a free port, conversations
 * and ratings in memory), asks the chat page a question and a follow-up in Chromium, and saves the four views.
 */
export async function webScreenshotsMain(argv: string[], io: CliIo): Promise<number> {
  const program = new Command("web:screenshots")
    .description("Screenshots of the chat page at desktop and phone widths, light and dark")
    .option("--out <dir>", "where the PNG files go", "docs/img")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stderr.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: "user" });
  const { out } = program.opts<{ out: string }>();
  const config = loadConfig({
    ...io.env,
    PORT: "0",
    HOST: "127.0.0.1",
    GUICHET_THREADS_SQLITE: ":memory:",
    GUICHET_FEEDBACK_SQLITE: ":memory:",
    GUICHET_WEB: "on",
  });
  const running = await startServer(config, createLogger("warn"));
  const browser = await launchChromium(io.env);
  try {
    for (const file of await captureChatPage(browser, `${running.url}/`, out)) await writeLine(io.stdout, `wrote ${file}`);
  } finally {
    await browser.close();
    await running.close();
  }
  return 0;
}

if (process.argv[1]?.endsWith("cli/web-screenshots.ts")) await runMain(webScreenshotsMain);
