/**
 * How citizens say it → how the fiches say it ("caution" → "dépôt de garantie", "CT" → "contrôle technique"),
 * from `lexicon/thesaurus.tsv`. Keys are matched on the accent-folded, lower-case question (apostrophes read as
 * spaces), as whole words or phrases; values are added to the query at a lower weight. Written for this project
 * from everyday French and the fiches' vocabulary; extended on the dev split's misses, never on the test split.
 */
import { readPairs } from "../lexicon/read.js";

export const CITIZEN_TO_OFFICIAL: Record<string, string> = Object.fromEntries(readPairs("thesaurus.tsv"));
