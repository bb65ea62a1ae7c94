import hnswlib from "hnswlib-node";

const { HierarchicalNSW } = hnswlib;

export interface DenseHit {
  doc: number;
  /** Cosine similarity. */
  score: number;
}

/** Approximate nearest-neighbour search over unit vectors (hnswlib, cosine space), persisted with the index. */
export class DenseIndex {
  private constructor(
    private readonly hnsw: InstanceType<typeof HierarchicalNSW>,
    readonly dimensions: number,
    readonly size: number,
  ) {}

  static build(vectors: Float32Array[], dimensions: number, options: { m?: number; efConstruction?: number } = {}): DenseIndex {
    const hnsw = new HierarchicalNSW("cosine", dimensions);
    hnsw.initIndex(Math.max(vectors.length, 1), options.m ?? 16, options.efConstruction ?? 200, 100);
    vectors.forEach((vector, doc) => hnsw.addPoint(Array.from(vector), doc));
    hnsw.setEf(128);
    return new DenseIndex(hnsw, dimensions, vectors.length);
  }

  static load(path: string, dimensions: number): DenseIndex {
    const hnsw = new HierarchicalNSW("cosine", dimensions);
    hnsw.readIndexSync(path);
    hnsw.setEf(128);
    return new DenseIndex(hnsw, dimensions, hnsw.getCurrentCount());
  }

  save(path: string): void {
    this.hnsw.writeIndexSync(path);
  }

  /** The `limit` nearest documents to a unit vector, best first. */
  search(vector: Float32Array | number[], limit: number): DenseHit[] {
    if (this.size === 0 || limit <= 0) return [];
    const found = this.hnsw.searchKnn(Array.from(vector), Math.min(limit, this.size));
    return found.neighbors
      .map((doc, i) => ({ doc, score: 1 - found.distances[i]! }))
      .sort((a, b) => b.score - a.score || a.doc - b.doc);
  }
}
