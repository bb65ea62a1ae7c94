import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Bilingual } from "../tools/lang/freedict.js";
import type { MachineTranslator } from "../tools/lang/apertium.js";
import { offlineFrench } from "../tools/lang/offline-french.js";
import { translateQueryOffline } from "../tools/lang/translate-query.js";
import type { Detector } from "./lang-detectors.js";
import { firstGoldRank } from "./metrics.js";

const LangItemSchema = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  language: z.string().length(2),
  split: z.enum(["dev", "test"]).optional(),
  gold: z.array(z.string()).optional(),
});
export type LangItem = z.infer<typeof LangItemSchema>;

/** Reads a JSON-lines file of {id, question, language, split?, gold?}; fails with the line number of a bad line. */
export function loadLangDataset(path: string): LangItem[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => line.trim() !== "")
    .map(({ line, index }) => {
      const parsed = LangItemSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${path}:${index + 1}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
      return parsed.data;
    });
}

export interface AccuracyRow {
  detector: string;
  /** Accuracy per gold language, and "all". */
  accuracy: Record<string, number>;
  n: number;
}

/** Accuracy of each detector per gold language and overall. */
export function detectionAccuracy(items: LangItem[], detectors: Record<string, Detector>): AccuracyRow[] {
  const languages = [...new Set(items.map((i) => i.language))];
  return Object.entries(detectors).map(([name, detect]) => {
    const right = new Map<string, number>();
    for (const item of items) if (detect(item.question) === item.language) right.set(item.language, (right.get(item.language) ?? 0) + 1);
    const accuracy: Record<string, number> = {};
    for (const lang of languages) accuracy[lang] = (right.get(lang) ?? 0) / items.filter((i) => i.language === lang).length;
    accuracy.all = [...right.values()].reduce((a, b) => a + b, 0) / items.length;
    return { detector: name, accuracy, n: items.length };
  });
}

export function formatAccuracy(title: string, rows: AccuracyRow[]): string {
  const langs = Object.keys(rows[0]?.accuracy ?? {});
  const head = `| ${title} | ${langs.join(" | ")} |`;
  const rule = `|---|${langs.map(() => "---").join("|")}|`;
  return [head, rule, ...rows.map((r) => `| ${r.detector} | ${langs.map((l) => r.accuracy[l]!.toFixed(3)).join(" | ")} |`)].join("\n");
}

export interface RecallRow {
  query: string;
  n: number;
  recallAt10: number;
  mrrAt10: number;
}

/**
 * Recall@10 and MRR@10 of the raw foreign question against its offline French forms: the glossary alone, then
 * with the FreeDict word lists, then with Apertium (each when the index or the machine has it).
 */
export async function crossLingualRecall(
  items: LangItem[],
  rank: (query: string) => Promise<string[]>,
  resources: { bilingual?: Bilingual | undefined; machineTranslator?: MachineTranslator | undefined } = {},
): Promise<RecallRow[]> {
  const { bilingual, machineTranslator } = resources;
  const variants: Array<[string, (item: LangItem) => string | Promise<string>]> = [
    ["raw foreign question", (item) => item.question],
    ["glossary → French keywords", (item) => translateQueryOffline(item.question, item.language).query],
  ];
  if (bilingual && Object.keys(bilingual).length > 0) {
    variants.push([
      "glossary + FreeDict word lists",
      (item) => translateQueryOffline(item.question, item.language, bilingual[item.language as keyof Bilingual]).query,
    ]);
  }
  if (machineTranslator) {
    variants.push([
      `+ Apertium (${[...machineTranslator.languages].sort().join(", ")})`,
      async (item) => (await offlineFrench(item.question, item.language, resources)).query,
    ]);
  }
  const rows: RecallRow[] = [];
  for (const [name, toQuery] of variants) {
    let found = 0;
    let rr = 0;
    for (const item of items) {
      const at = firstGoldRank(item.gold ?? [], (await rank(await toQuery(item))).slice(0, 10));
      if (at > 0) {
        found += 1;
        rr += 1 / at;
      }
    }
    rows.push({ query: name, n: items.length, recallAt10: found / items.length, mrrAt10: rr / items.length });
  }
  return rows;
}

export function formatRecall(rows: RecallRow[]): string {
  return [
    "| query sent to retrieval | n | recall@10 | MRR@10 |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.query} | ${r.n} | ${r.recallAt10.toFixed(3)} | ${r.mrrAt10.toFixed(3)} |`),
  ].join("\n");
}
