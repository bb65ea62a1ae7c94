import { Embeddings } from "@langchain/core/embeddings";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { analyze } from "../analyzer.js";
import { seededRandom } from "../../random.js";

/**
 * Offline dense embeddings learnt from the corpus itself at ingest time: latent semantic analysis
 * (a truncated SVD of the chunks' TF-IDF matrix, computed with a randomized range finder). Words that
 * appear in the same passages ("majeur", "adulte", "18 ans") end up close, which is what plain BM25
 * cannot see. No network, no downloaded weights; a LangChain `Embeddings`, so any other provider can
 * take its place.
 */

export interface LsaOptions {
  /** Dimensions kept. */
  dims: number;
  /** A term must appear in at least this many chunks to be in the vocabulary. */
  minDf: number;
  /** Extra random directions of the range finder (accuracy of the truncated SVD). */
  oversample: number;
  /** Power iterations of the range finder. */
  powerIterations: number;
  seed: number;
}

export const DEFAULT_LSA_OPTIONS: LsaOptions = { dims: 192, minDf: 2, oversample: 16, powerIterations: 1, seed: 42 };

export interface LsaModelData {
  dims: number;
  terms: string[];
  idf: number[];
  /** terms × dims, row-major. */
  projection: Float32Array;
}

/** Sparse rows (one per document) of L2-normalised TF-IDF weights. */
interface Csr {
  rowPtr: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  rows: number;
  cols_: number;
}

export class LsaEmbeddings extends Embeddings {
  readonly name = "lsa";
  private readonly termIndex: Map<string, number>;

  private constructor(private readonly model: LsaModelData) {
    super({});
    this.termIndex = new Map(model.terms.map((t, i) => [t, i]));
  }

  get dimensions(): number {
    return this.model.dims;
  }

  /** Learns the model from the documents' analysed terms. */
  static train(documents: string[][], options: Partial<LsaOptions> = {}): LsaEmbeddings {
    const o = { ...DEFAULT_LSA_OPTIONS, ...options };
    const df = new Map<string, number>();
    for (const doc of documents) for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
    const terms = [...df].filter(([, n]) => n >= o.minDf).map(([t]) => t).sort();
    const index = new Map(terms.map((t, i) => [t, i]));
    const idf = terms.map((t) => Math.log((documents.length + 1) / (df.get(t)! + 1)) + 1);
    const matrix = tfidfRows(documents, index, idf);
    const dims = Math.max(1, Math.min(o.dims, terms.length, documents.length));
    const projection = rightSingularVectors(matrix, dims, o);
    return new LsaEmbeddings({ dims, terms, idf, projection });
  }

  static fromData(data: LsaModelData): LsaEmbeddings {
    return new LsaEmbeddings(data);
  }

  toData(): LsaModelData {
    return this.model;
  }

  /** Unit vector of a list of analysed terms (zero vector when none is known). */
  embedTerms(tokens: string[]): Float32Array {
    const { dims, projection, idf } = this.model;
    const counts = new Map<number, number>();
    for (const token of tokens) {
      const i = this.termIndex.get(token);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const out = new Float32Array(dims);
    for (const [i, tf] of counts) {
      const w = (1 + Math.log(tf)) * idf[i]!;
      const row = i * dims;
      for (let d = 0; d < dims; d++) out[d]! += w * projection[row + d]!;
    }
    return normalize(out);
  }

  embedText(text: string): Float32Array {
    return this.embedTerms(analyze(text));
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((d) => Array.from(this.embedText(d)));
  }

  async embedQuery(document: string): Promise<number[]> {
    return Array.from(this.embedText(document));
  }
}

function normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

function tfidfRows(documents: string[][], index: Map<string, number>, idf: number[]): Csr {
  const rowPtr = new Int32Array(documents.length + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  documents.forEach((doc, r) => {
    const counts = new Map<number, number>();
    for (const token of doc) {
      const i = index.get(token);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const entries = [...counts].map(([i, tf]) => [i, (1 + Math.log(tf)) * idf[i]!] as const);
    const norm = Math.sqrt(entries.reduce((s, [, w]) => s + w * w, 0)) || 1;
    for (const [i, w] of entries) {
      cols.push(i);
      vals.push(w / norm);
    }
    rowPtr[r + 1] = cols.length;
  });
  return { rowPtr, cols: Int32Array.from(cols), vals: Float64Array.from(vals), rows: documents.length, cols_: index.size };
}

/** Centred deterministic numbers, so that a build is reproducible. */
function random(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next() - 0.5;
}

/** Y = A·X, with X dense (cols × l, row-major). */
function multiply(a: Csr, x: Float64Array, l: number): Float64Array {
  const y = new Float64Array(a.rows * l);
  for (let r = 0; r < a.rows; r++) {
    const out = r * l;
    for (let p = a.rowPtr[r]!; p < a.rowPtr[r + 1]!; p++) {
      const v = a.vals[p]!;
      const row = a.cols[p]! * l;
      for (let c = 0; c < l; c++) y[out + c]! += v * x[row + c]!;
    }
  }
  return y;
}

/** Z = Aᵀ·Y, with Y dense (rows × l). */
function multiplyTransposed(a: Csr, y: Float64Array, l: number): Float64Array {
  const z = new Float64Array(a.cols_ * l);
  for (let r = 0; r < a.rows; r++) {
    const from = r * l;
    for (let p = a.rowPtr[r]!; p < a.rowPtr[r + 1]!; p++) {
      const v = a.vals[p]!;
      const row = a.cols[p]! * l;
      for (let c = 0; c < l; c++) z[row + c]! += v * y[from + c]!;
    }
  }
  return z;
}

/**
 * Orthonormalises the columns of a dense n × l row-major matrix in place (modified Gram-Schmidt on a
 * column-major copy, so that every pass reads contiguous memory).
 */
function orthonormalize(y: Float64Array, n: number, l: number): void {
  const cols = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) cols[c * n + i] = y[i * l + c]!;
  for (let c = 0; c < l; c++) {
    const col = cols.subarray(c * n, (c + 1) * n);
    for (let prev = 0; prev < c; prev++) {
      const other = cols.subarray(prev * n, (prev + 1) * n);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += col[i]! * other[i]!;
      for (let i = 0; i < n; i++) col[i]! -= dot * other[i]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += col[i]! * col[i]!;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) col[i]! /= norm;
  }
  for (let i = 0; i < n; i++) for (let c = 0; c < l; c++) y[i * l + c] = cols[c * n + i]!;
}

/**
 * The top `k` right singular vectors of A (cols × k, row-major), by the randomized range finder of
 * Halko, Martinsson and Tropp: Q spans A·Ω (with power iterations), then B = Qᵀ·A is small enough for
 * an exact eigen-decomposition of B·Bᵀ.
 */
function rightSingularVectors(a: Csr, k: number, o: LsaOptions): Float32Array {
  const l = Math.min(k + o.oversample, a.rows, a.cols_);
  const next = random(o.seed);
  const omega = new Float64Array(a.cols_ * l);
  for (let i = 0; i < omega.length; i++) omega[i] = next();
  let q = multiply(a, omega, l);
  orthonormalize(q, a.rows, l);
  for (let it = 0; it < o.powerIterations; it++) {
    const z = multiplyTransposed(a, q, l);
    orthonormalize(z, a.cols_, l);
    q = multiply(a, z, l);
    orthonormalize(q, a.rows, l);
  }
  // Bᵀ = Aᵀ·Q (cols × l); B·Bᵀ = Qᵀ·A·Aᵀ·Q (l × l).
  const bt = multiplyTransposed(a, q, l);
  const g = new Float64Array(l * l);
  for (let r = 0; r < a.cols_; r++) {
    const row = r * l;
    for (let i = 0; i < l; i++) {
      const bi = bt[row + i]!;
      if (bi === 0) continue;
      for (let j = i; j < l; j++) g[i * l + j]! += bi * bt[row + j]!;
    }
  }
  const gram = new Matrix(l, l);
  for (let i = 0; i < l; i++) {
    for (let j = i; j < l; j++) {
      gram.set(i, j, g[i * l + j]!);
      gram.set(j, i, g[i * l + j]!);
    }
  }
  const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((value, i) => [value, i] as const).sort((x, y) => y[0] - x[0]);
  const vectors = evd.eigenvectorMatrix;
  // V = Bᵀ·Ũ·Σ⁻¹, keeping the k largest singular values.
  const u = new Float64Array(l * k);
  const inverseSigma = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const [value, index] = order[c]!;
    inverseSigma[c] = 1 / Math.sqrt(Math.max(value, 1e-12));
    for (let j = 0; j < l; j++) u[j * k + c] = vectors.get(j, index);
  }
  const out = new Float32Array(a.cols_ * k);
  const row = new Float64Array(k);
  for (let r = 0; r < a.cols_; r++) {
    row.fill(0);
    for (let j = 0; j < l; j++) {
      const b = bt[r * l + j]!;
      if (b === 0) continue;
      for (let c = 0; c < k; c++) row[c]! += b * u[j * k + c]!;
    }
    for (let c = 0; c < k; c++) out[r * k + c] = row[c]! * inverseSigma[c]!;
  }
  return out;
}
