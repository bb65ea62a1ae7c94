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

/** Per-document length normalisation of a field, k1·(1 − b + b·len/avg), computed once per query params. */
function norms(field: FieldIndex, params: Bm25Params): Float32Array {
  const out = new Float32Array(field.lengths.length);
  const avg = field.avgLength || 1;
  for (let i = 0; i < out.length; i++) out[i] = params.k1 * (1 - params.b + (params.b * field.lengths[i]!) / avg);
  return out;
}

export interface SerializedBm25 {
  docCount: number;
  fields: Record<string, { terms: Array<[string, number[]]>; lengths: number[] }>;
}

/** Compact form for disk: term lists and offsets in JSON, every posting and length in one Int32Array. */
export interface BinaryBm25Meta {
  docCount: number;
  /** Per field: its terms, the start of each term's postings in `data` (its length is 2·df), and where the lengths start. */
  fields: Record<string, { terms: string[]; offsets: number[]; lengthsAt: number }>;
}

export interface ScoredDoc {
  doc: number;
  score: number;
}

export class Bm25Index {
  private readonly normCache = new Map<string, Float32Array>();
  private scratch: Float64Array | undefined;

  private constructor(
    readonly docCount: number,
    private readonly fields: Map<string, FieldIndex>,
  ) {}

  private fieldNorms(name: string, field: FieldIndex, params: Bm25Params): Float32Array {
    const key = `${name}|${params.k1}|${params.b}`;
    let cached = this.normCache.get(key);
    if (!cached) this.normCache.set(key, (cached = norms(field, params)));
    return cached;
  }

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

  toBinary(): { meta: BinaryBm25Meta; data: Int32Array } {
    let size = 0;
    for (const field of this.fields.values()) {
      for (const list of field.postings.values()) size += list.length;
      size += field.lengths.length;
    }
    const data = new Int32Array(size);
    const meta: BinaryBm25Meta = { docCount: this.docCount, fields: {} };
    let at = 0;
    for (const [name, field] of this.fields) {
      const terms: string[] = [];
      const offsets: number[] = [];
      for (const [term, list] of field.postings) {
        terms.push(term);
        offsets.push(at);
        data.set(list, at);
        at += list.length;
      }
      const lengthsAt = at;
      for (let i = 0; i < field.lengths.length; i++) data[at++] = field.lengths[i]!;
      meta.fields[name] = { terms, offsets, lengthsAt };
    }
    return { meta, data };
  }

  /** Rebuilds from `toBinary` output; postings are views on `data`, not copies. */
  static fromBinary(meta: BinaryBm25Meta, data: Int32Array): Bm25Index {
    const fields = new Map<string, FieldIndex>();
    for (const [name, field] of Object.entries(meta.fields)) {
      const postings = new Map<string, Int32Array>();
      field.terms.forEach((term, i) => {
        const end = i + 1 < field.offsets.length ? field.offsets[i + 1]! : field.lengthsAt;
        postings.set(term, data.subarray(field.offsets[i]!, end));
      });
      const lengths = Float32Array.from(data.subarray(field.lengthsAt, field.lengthsAt + meta.docCount));
      fields.set(name, { postings, lengths, avgLength: average(lengths) });
    }
    return new Bm25Index(meta.docCount, fields);
  }

  /** Every term of every field with the largest number of documents one field has it in (for spelling). */
  vocabulary(): Map<string, number> {
    const frequencies = new Map<string, number>();
    for (const field of this.fields.values()) {
      for (const [term, list] of field.postings) {
        const df = list.length / 2;
        if (df > (frequencies.get(term) ?? 0)) frequencies.set(term, df);
      }
    }
    return frequencies;
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
    if (limit <= 0) return [];
    // One score array per index, reused: allocating and zeroing one per query costs as much as a short query.
    const scores = (this.scratch ??= new Float64Array(this.docCount));
    const touched: number[] = [];
    try {
      for (const { postings, half, factor, norms: fieldNorms } of this.queryLists(query, weights, params)) {
        for (let j = 0; j < half; j++) {
          const doc = postings[j]!;
          const tf = postings[half + j]!;
          if (scores[doc] === 0) touched.push(doc);
          scores[doc]! += (factor * tf) / (tf + fieldNorms[doc]!);
        }
      }
      return topK(touched, scores, limit, accept);
    } finally {
      for (const doc of touched) scores[doc] = 0;
    }
  }

  /** The posting list of each (field, query term) pair, with the factor idf × field weight × query weight × (k1 + 1). */
  private queryLists(query: Map<string, number>, weights: Record<string, number>, params: Bm25Params): QueryList[] {
    const lists: QueryList[] = [];
    for (const [fieldName, weight] of Object.entries(weights)) {
      const field = this.fields.get(fieldName);
      if (!field || weight === 0) continue;
      const norms = this.fieldNorms(fieldName, field, params);
      for (const [term, queryWeight] of query) {
        const postings = field.postings.get(term);
        if (!postings) continue;
        const factor = this.idf(fieldName, term) * weight * queryWeight * (params.k1 + 1);
        lists.push({ postings, half: postings.length / 2, factor, norms, field: fieldName, term });
      }
    }
    return lists;
  }

  /**
   * BM25 scores of the given documents only, best first (documents matching no term are left out): a few
   * lookups per posting list instead of a pass over it, for re-scoring a short list of candidates.
   */
  scoreDocuments(query: Map<string, number>, weights: Record<string, number>, docs: number[], params: Bm25Params = DEFAULT_BM25): ScoredDoc[] {
    return this.matchDocuments(query, weights, docs, params)
      .filter((hit) => hit.score > 0)
      .map(({ doc, score }) => ({ doc, score }))
      .sort((a, b) => b.score - a.score || a.doc - b.doc);
  }

  /**
   * For each given document, in the given order: its BM25 score and, per field, the query terms it holds there
   * (one lookup per posting list and document).
   */
  matchDocuments(
    query: Map<string, number>,
    weights: Record<string, number>,
    docs: number[],
    params: Bm25Params = DEFAULT_BM25,
  ): Array<ScoredDoc & { terms: Map<string, Set<string>> }> {
    const matches = docs.map((doc) => ({ doc, score: 0, terms: new Map<string, Set<string>>() }));
    for (const { postings, half, factor, norms: fieldNorms, field, term } of this.queryLists(query, weights, params)) {
      for (const match of matches) {
        const at = findDoc(postings, half, match.doc);
        if (at === -1) continue;
        const tf = postings[half + at]!;
        match.score += (factor * tf) / (tf + fieldNorms[match.doc]!);
        let inField = match.terms.get(field);
        if (!inField) match.terms.set(field, (inField = new Set()));
        inField.add(term);
      }
    }
    return matches;
  }
}

interface QueryList {
  postings: Int32Array;
  /** Number of documents in the list (ids first, then as many term frequencies). */
  half: number;
  factor: number;
  norms: Float32Array;
  field: string;
  term: string;
}

/** Position of `doc` among the sorted ids of a posting list, or -1. */
function findDoc(postings: Int32Array, half: number, doc: number): number {
  let lo = 0;
  let hi = half - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = postings[mid]!;
    if (at === doc) return mid;
    if (at < doc) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}


const better = (a: ScoredDoc, b: ScoredDoc) => a.score > b.score || (a.score === b.score && a.doc < b.doc);

/** The `limit` best documents, best first, with a bounded min-heap (no sort of every matching document). */
function topK(docs: number[], scores: Float64Array, limit: number, accept?: (doc: number) => boolean): ScoredDoc[] {
  const heap: ScoredDoc[] = [];
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  for (const doc of docs) {
    const score = scores[doc]!;
    // Compared before allocating: most documents do not enter a full heap.
    if (heap.length === limit && (score < heap[0]!.score || (score === heap[0]!.score && doc > heap[0]!.doc))) continue;
    if (accept && !accept(doc)) continue;
    const item = { doc, score };
    if (heap.length < limit) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!better(heap[parent]!, heap[i]!)) break;
        swap(i, parent);
        i = parent;
      }
    } else {
      heap[0] = item;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let worst = i;
        if (l < heap.length && better(heap[worst]!, heap[l]!)) worst = l;
        if (r < heap.length && better(heap[worst]!, heap[r]!)) worst = r;
        if (worst === i) break;
        swap(i, worst);
        i = worst;
      }
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : 1));
}

function average(values: Float32Array): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
