import type { Chunk } from "../../corpus/chunk.js";
import { analyze } from "./analyzer.js";
import { Bm25Index, type BinaryBm25Meta } from "./bm25.js";
import { expandQuery } from "./query-expansion.js";
import { chunkFields } from "./chunk-fields.js";
import { SpellingCorrector } from "./spelling.js";

export interface BinaryFicheIndexMeta {
  ficheIds: string[];
  bm25: BinaryBm25Meta;
}

export interface FicheEvidence {
  /** Whole-fiche BM25 score (0 when no query term matches). */
  score: number;
  /** Rank (from 0) by that score among the fiches asked about; undefined when no term matches. */
  rank: number | undefined;
  /** Share of the question's terms, weighted by query weight × idf, found in the fiche's title. */
  queryInTitle: number;
  /** The same share over the whole fiche (title, headings, summary, body). */
  queryInFiche: number;
}

/** Field weights of the fiche-level ranking (chosen on the dev split). */
const FICHE_WEIGHTS = { title: 1.5, heads: 1, summary: 1, body: 1 };
const FICHE_BM25 = { k1: 1.2, b: 0.75 };

/**
 * BM25 over whole fiches (title and summary once, every heading and paragraph): the evidence a fiche gives
 * as a whole, which a ranking of its chunks one by one misses. Used to re-rank the first stage's fiches.
 */
export class FicheIndex {
  private readonly numbers: Map<string, number>;
  /** Typo tolerance over the fiches' terms, built on first use. */
  private corrector: SpellingCorrector | undefined;
  /** Where the typo corrector comes from: the chunk index shares its own (one vocabulary in memory, not two). */
  private spellingSource: (() => SpellingCorrector) | undefined;

  private constructor(
    readonly ficheIds: string[],
    readonly bm25: Bm25Index,
  ) {
    this.numbers = new Map(ficheIds.map((id, i) => [id, i]));
  }

  static build(chunks: Chunk[]): FicheIndex {
    const ficheIds: string[] = [];
    const docs = new Map<string, { title: string[]; summary: string[]; heads: string[]; body: string[] }>();
    for (const chunk of chunks) {
      const fields = chunkFields(chunk);
      let doc = docs.get(chunk.ficheId);
      if (!doc) {
        doc = { title: analyze(fields.title), summary: analyze(fields.summary), heads: [], body: [] };
        docs.set(chunk.ficheId, doc);
        ficheIds.push(chunk.ficheId);
      }
      doc.heads.push(...analyze(fields.heads));
      doc.body.push(...analyze(fields.body));
    }
    return new FicheIndex(ficheIds, Bm25Index.build(ficheIds.map((id) => docs.get(id)!)));
  }

  toBinary(): { meta: BinaryFicheIndexMeta; data: Int32Array } {
    const { meta, data } = this.bm25.toBinary();
    return { meta: { ficheIds: this.ficheIds, bm25: meta }, data };
  }

  static fromBinary(meta: BinaryFicheIndexMeta, data: Int32Array): FicheIndex {
    return new FicheIndex(meta.ficheIds, Bm25Index.fromBinary(meta.bm25, data));
  }

  /** Uses the corrector `source` gives (built from the chunks' vocabulary, which holds every fiche term). */
  shareSpelling(source: () => SpellingCorrector): void {
    this.spellingSource = source;
  }

  private get spelling(): SpellingCorrector {
    return this.spellingSource?.() ?? (this.corrector ??= new SpellingCorrector(this.bm25.vocabulary()));
  }

  /** The given fiches ordered by their whole-fiche BM25 score for the question (unmatched ones dropped). */
  rank(question: string, ficheIds: string[]): string[] {
    const wanted = new Set(ficheIds.map((id) => this.numbers.get(id)).filter((n) => n !== undefined));
    if (wanted.size === 0) return [];
    return this.bm25.scoreDocuments(this.queryOf(question), FICHE_WEIGHTS, [...wanted], FICHE_BM25).map((hit) => this.ficheIds[hit.doc]!);
  }

  /** The weighted search terms of a question (with the thesaurus and typo correction), as `rank` uses them. */
  queryOf(question: string): Map<string, number> {
    return expandQuery(question, this.spelling);
  }

  /**
   * What each given fiche, as a whole, says of a query (`queryOf`): its whole-fiche BM25 score and rank among them,
   * and the share of the question's terms (weighted by rarity) its title holds and the whole fiche holds.
   */
  evidence(query: Map<string, number>, ficheIds: string[]): Map<string, FicheEvidence> {
    const known = ficheIds.filter((id) => this.numbers.has(id));
    const matches = this.bm25.matchDocuments(
      query,
      FICHE_WEIGHTS,
      known.map((id) => this.numbers.get(id)!),
      FICHE_BM25,
    );
    const ranks = new Map(
      matches
        .filter((m) => m.score > 0)
        .sort((a, b) => b.score - a.score || a.doc - b.doc)
        .map((m, rank) => [m.doc, rank]),
    );
    const weight = (term: string) => (query.get(term) ?? 0) * this.bm25.idf("body", term);
    let total = 0;
    for (const term of query.keys()) total += weight(term);
    const share = (terms: Iterable<string>) => {
      let sum = 0;
      for (const term of terms) sum += weight(term);
      return total > 0 ? sum / total : 0;
    };
    const evidence = new Map<string, FicheEvidence>();
    matches.forEach((match, i) => {
      const anywhere = new Set<string>();
      for (const terms of match.terms.values()) for (const term of terms) anywhere.add(term);
      evidence.set(known[i]!, {
        score: match.score,
        rank: ranks.get(match.doc),
        queryInTitle: share(match.terms.get("title") ?? []),
        queryInFiche: share(anywhere),
      });
    });
    return evidence;
  }
}
