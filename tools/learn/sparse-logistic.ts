/**
 * One-vs-rest logistic regression over sparse, named features (a text's n-grams, rule hits...), with an L2
 * penalty, fitted by full-batch gradient descent with Adam steps. Small enough to train in a second on a few
 * thousand examples, and inspectable: every weight has the name of its feature. (The npm `ml-logistic-regression`
 * works on dense matrices without a penalty; n-gram features need both sparse input and regularisation.)
 */

/** Feature name → value (usually 1). */
export type SparseVector = Map<string, number>;

export interface SparseExample {
  features: SparseVector;
  label: string;
}

export interface ClassWeights {
  bias: number;
  weights: Record<string, number>;
}

export interface SparseLogisticModel {
  classes: string[];
  byClass: Record<string, ClassWeights>;
}

export interface FitOptions {
  /** L2 penalty (per example, on the mean loss). */
  lambda: number;
  epochs: number;
  learningRate: number;
  /** Features seen in fewer training examples are dropped. */
  minCount: number;
  /** Weigh each class's examples so that both sides of every binary model count equally (rare classes). */
  balanced: boolean;
}

export const DEFAULT_FIT_OPTIONS: FitOptions = { lambda: 0.001, epochs: 300, learningRate: 0.05, minCount: 2, balanced: false };

/** Fits one binary model per class (that class against every other). */
export function fitSparseLogistic(examples: SparseExample[], options: Partial<FitOptions> = {}): SparseLogisticModel {
  const opts = { ...DEFAULT_FIT_OPTIONS, ...options };
  const counts = new Map<string, number>();
  for (const example of examples) for (const name of example.features.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const vocabulary = [...counts].filter(([, n]) => n >= opts.minCount).map(([name]) => name).sort();
  const index = new Map(vocabulary.map((name, i) => [name, i]));
  const rows = examples.map((example) => {
    const ids: number[] = [];
    const values: number[] = [];
    for (const [name, value] of example.features) {
      const id = index.get(name);
      if (id !== undefined) {
        ids.push(id);
        values.push(value);
      }
    }
    return { ids, values };
  });
  const classes = [...new Set(examples.map((e) => e.label))].sort();
  const byClass: Record<string, ClassWeights> = {};
  for (const cls of classes) {
    const targets = examples.map((e) => (e.label === cls ? 1 : 0));
    const positives = targets.filter((y) => y === 1).length;
    const sampleWeights = targets.map((y) =>
      !opts.balanced ? 1 : y === 1 ? examples.length / (2 * Math.max(positives, 1)) : examples.length / (2 * Math.max(examples.length - positives, 1)),
    );
    const { bias, weights } = fitBinary(rows, targets, sampleWeights, vocabulary.length, opts);
    const named: Record<string, number> = {};
    weights.forEach((w, i) => {
      if (Math.abs(w) > 1e-6) named[vocabulary[i]!] = Math.round(w * 1e5) / 1e5;
    });
    byClass[cls] = { bias: Math.round(bias * 1e5) / 1e5, weights: named };
  }
  return { classes, byClass };
}

function fitBinary(
  rows: Array<{ ids: number[]; values: number[] }>,
  targets: number[],
  sampleWeights: number[],
  dims: number,
  opts: FitOptions,
): { bias: number; weights: Float64Array } {
  const w = new Float64Array(dims + 1); // last = bias
  const m = new Float64Array(dims + 1);
  const v = new Float64Array(dims + 1);
  const gradient = new Float64Array(dims + 1);
  const n = rows.length;
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    gradient.fill(0);
    rows.forEach((row, r) => {
      let z = w[dims]!;
      for (let k = 0; k < row.ids.length; k++) z += w[row.ids[k]!]! * row.values[k]!;
      const error = (sigmoid(z) - targets[r]!) * sampleWeights[r]!;
      for (let k = 0; k < row.ids.length; k++) gradient[row.ids[k]!]! += (error * row.values[k]!) / n;
      gradient[dims]! += error / n;
    });
    for (let d = 0; d <= dims; d++) {
      const g = gradient[d]! + (d < dims ? opts.lambda * w[d]! : 0);
      m[d] = beta1 * m[d]! + (1 - beta1) * g;
      v[d] = beta2 * v[d]! + (1 - beta2) * g * g;
      const mHat = m[d]! / (1 - beta1 ** epoch);
      const vHat = v[d]! / (1 - beta2 ** epoch);
      w[d]! -= (opts.learningRate * mHat) / (Math.sqrt(vHat) + eps);
    }
  }
  return { bias: w[dims]!, weights: w.subarray(0, dims) };
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Probability of each class, each from its own one-vs-rest model. */
export function predictSparse(model: SparseLogisticModel, features: SparseVector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const cls of model.classes) {
    const { bias, weights } = model.byClass[cls]!;
    let z = bias;
    for (const [name, value] of features) z += (weights[name] ?? 0) * value;
    out[cls] = sigmoid(z);
  }
  return out;
}

/** The class with the highest probability, and that probability. */
export function bestClass(probabilities: Record<string, number>): { label: string; probability: number } {
  let best = { label: "", probability: -1 };
  for (const [label, probability] of Object.entries(probabilities)) if (probability > best.probability) best = { label, probability };
  return best;
}

/** The heaviest features of a class, for inspection. */
export function topFeatures(model: SparseLogisticModel, cls: string, count = 15): Array<[string, number]> {
  return Object.entries(model.byClass[cls]?.weights ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
}
