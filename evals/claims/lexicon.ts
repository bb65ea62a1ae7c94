import { z } from "zod";
import { readJson } from "../../tools/lexicon/read.js";

/** The offline checker's and the splitter's word lists: `lexicon/claim-check.json`. */
export const CLAIM_LEXICON = readJson(
  "claim-check.json",
  z.object({
    boilerplate_prefixes: z.array(z.string().min(1)),
    number_words: z.record(z.string(), z.string()),
    units: z.record(z.string(), z.string()),
    months: z.array(z.string().min(1)),
    organisations: z.array(z.string().min(1)),
    negations: z.array(z.string().min(1)),
    lexical_threshold: z.number().min(0).max(1),
    check_negation: z.boolean(),
  }),
);
