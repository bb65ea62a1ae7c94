/**
 * Multi-field BM25: each field has its own postings, length normalisation and weight; a document's
 * score is the weighted sum of its per-field BM25 scores (title and breadcrumb count more than body).
 */

export interface Bm25Params {
  k1: number;
  b: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75 };

interface FieldIndex {
  /** term → [doc ids..., term frequencies...] (one flat array: first half ids, second half tfs). */
  postings: Map<string, Int32Array>;
  lengths: Float32Array;
  avgLength: number;
}

export interface SerializedBm25 {
  docCount: number;
  fields: Record<string, { terms: Array<[string, number[]]>; lengths: number[] }>;
}

export interface ScoredDoc {
  doc: number;
  score: number;
}

export class Bm25Index {
  private constructor(
    readonly docCount: number,
    private readonly fields: Map<string, FieldIndex>,
  ) {}

  /** Builds from already analysed documents: docs[i][field] is the token list of field in doc i. */
  static build(docs: Array<Record<string, string[]>>): Bm25Index {
    const fieldNames = new Set(docs.flatMap((doc) => Object.keys(doc)));
    const fields = new Map<string, FieldIndex>();
    for (const field of fieldNames) {
      const lists = new Map<string, number[][]>();
      const lengths = new Float32Array(docs.length);
      docs.forEach((doc, id) => {
        const tokens = doc[field] ?? [];
        lengths[id] = tokens.length;
        const tf = new Map<string, number>();
        for (const token of tokens) tf.set(token, (tf.get(token) ?? 0) + 1);
        for (const [term, count] of tf) {
          let list = lists.get(term);
          if (!list) lists.set(term, (list = [[], []]));
          list[0]!.push(id);
          list[1]!.push(count);
        }
      });
      const postings = new Map<string, Int32Array>();
      for (const [term, [ids, tfs]] of lists) postings.set(term, Int32Array.from([...ids!, ...tfs!]));
      fields.set(field, { postings, lengths, avgLength: average(lengths) });
    }
    return new Bm25Index(docs.length, fields);
  }

  static fromJSON(data: SerializedBm25): Bm25Index {
    const fields = new Map<string, FieldIndex>();
    for (const [name, field] of Object.entries(data.fields)) {
      const lengths = Float32Array.from(field.lengths);
      fields.set(name, {
        postings: new Map(field.terms.map(([term, list]) => [term, Int32Array.from(list)])),
        lengths,
        avgLength: average(lengths),
      });
    }
    return new Bm25Index(data.docCount, fields);
  }

  toJSON(): SerializedBm25 {
    const fields: SerializedBm25["fields"] = {};
    for (const [name, field] of this.fields) {
      fields[name] = {
        terms: [...field.postings].map(([term, list]) => [term, Array.from(list)]),
        lengths: Array.from(field.lengths),
      };
    }
    return { docCount: this.docCount, fields };
  }

  /** Number of documents whose `field` contains `term`. */
  documentFrequency(field: string, term: string): number {
    return (this.fields.get(field)?.postings.get(term)?.length ?? 0) / 2;
  }

  idf(field: string, term: string): number {
    const df = this.documentFrequency(field, term);
    return Math.log(1 + (this.docCount - df + 0.5) / (df + 0.5));
  }

  /**
   * Scores every document matching at least one query term (term → query weight); returns the best
   * `limit`, best first.
   */
  search(
    query: Map<string, number>,
    weights: Record<string, number>,
    limit: number,
    params: Bm25Params = DEFAULT_BM25,
    accept?: (doc: number) => boolean,
  ): ScoredDoc[] {
    const scores = new Float64Array(this.docCount);
    const touched: number[] = [];

    for (const [fieldName, weight] of Object.entries(weights)) {
      const field = this.fields.get(fieldName);
      if (!field || weight === 0) continue;
      for (const [term, queryWeight] of query) {
        const list = field.postings.get(term);
        if (!list) continue;
        const half = list.length / 2;
        const idf = this.idf(fieldName, term) * weight * queryWeight;
        for (let i = 0; i < half; i++) {
          const doc = list[i]!;
          const tf = list[half + i]!;
          const norm = params.k1 * (1 - params.b + (params.b * field.lengths[doc]!) / (field.avgLength || 1));
          if (scores[doc] === 0) touched.push(doc);
          scores[doc]! += (idf * tf * (params.k1 + 1)) / (tf + norm);
        }
      }
    }
    const results: ScoredDoc[] = [];
    for (const doc of touched) if (!accept || accept(doc)) results.push({ doc, score: scores[doc]! });
    results.sort((a, b) => b.score - a.score || a.doc - b.doc);
    return results.slice(0, limit);
  }
}

function average(values: Float32Array): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
