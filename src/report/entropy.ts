/**
 * Entropy of attention distributions, and the summaries a run logs per epoch: statistics
 * (mean, p10, p50, p90) and histograms over bins fixed in advance so that epochs compare.
 *
 * Entropies are in nats (natural log) with 0·log 0 = 0. A review of n real tokens has at most
 * log n, reached by uniform attention; the normalised entropy H / log n lies in [0, 1]
 * (defined as 0 for n = 1, where attention has no choice to make).
 */
import { DataError } from '../errors.js';

/** H(w) = −Σ w·log w over the weights; zero weights (padding) contribute nothing. */
export function attentionEntropy(weights: ArrayLike<number>): number {
  let entropy = 0;
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i];
    if (weight > 0) entropy -= weight * Math.log(weight);
  }
  return entropy;
}

/** H / log n for a review of `length` real tokens; 0 when `length` ≤ 1. */
export function normalizeEntropy(entropy: number, length: number): number {
  return length > 1 ? entropy / Math.log(length) : 0;
}

/** Per-review entropies of a batch, in the order of its rows. */
export interface EntropyBatch {
  /** H of each review, nats. */
  readonly entropy: Float64Array;
  /** H / log n of each review. */
  readonly normalized: Float64Array;
  /** n: real tokens of each review. */
  readonly lengths: Int32Array;
}

/**
 * Entropies of attention weights, row-major float32 [batch, time], with each row's count of real
 * tokens. Padding must carry weight 0 (the plugin contract), so either padding side works.
 */
export function batchEntropy(weights: Float32Array, lengths: ArrayLike<number>): EntropyBatch {
  const batch = lengths.length;
  const time = batch === 0 ? 0 : weights.length / batch;
  if (!Number.isInteger(time)) {
    throw new DataError(
      'report-weights-shape',
      `attention weights hold ${weights.length} values, not a multiple of the ${batch} lengths given; ` +
        'expected row-major [batch, time] weights with one length per row',
    );
  }
  const result: EntropyBatch = {
    entropy: new Float64Array(batch),
    normalized: new Float64Array(batch),
    lengths: Int32Array.from(lengths),
  };
  for (let row = 0; row < batch; row++) {
    const entropy = attentionEntropy(weights.subarray(row * time, (row + 1) * time));
    result.entropy[row] = entropy;
    result.normalized[row] = normalizeEntropy(entropy, lengths[row]);
  }
  return result;
}

/** Entropies of reviews given one by one, each as its weights over its real tokens only. */
export function reviewEntropies(reviews: readonly ArrayLike<number>[]): EntropyBatch {
  const entropy = Float64Array.from(reviews, (weights) => attentionEntropy(weights));
  const lengths = Int32Array.from(reviews, (weights) => weights.length);
  const normalized = Float64Array.from(entropy, (value, row) => normalizeEntropy(value, lengths[row]));
  return { entropy, normalized, lengths };
}

/** Joins per-batch results into one epoch's worth, keeping row order. */
export function concatEntropyBatches(batches: readonly EntropyBatch[]): EntropyBatch {
  const join = <T extends Float64Array | Int32Array>(parts: readonly T[], make: (size: number) => T): T => {
    const joined = make(parts.reduce((size, part) => size + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  };
  return {
    entropy: join(batches.map((batch) => batch.entropy), (size) => new Float64Array(size)),
    normalized: join(batches.map((batch) => batch.normalized), (size) => new Float64Array(size)),
    lengths: join(batches.map((batch) => batch.lengths), (size) => new Int32Array(size)),
  };
}

export interface SummaryStats {
  readonly count: number;
  readonly mean: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
}

/**
 * Mean and percentiles (linear interpolation between order statistics, as numpy's default).
 * Non-finite values are left out; with none left every statistic is NaN.
 */
export function summaryStats(values: ArrayLike<number>): SummaryStats {
  const finite = Float64Array.from(values).filter(Number.isFinite).sort();
  const count = finite.length;
  const mean = count === 0 ? NaN : finite.reduce((sum, value) => sum + value, 0) / count;
  return { count, mean, p10: percentile(finite, 0.1), p50: percentile(finite, 0.5), p90: percentile(finite, 0.9) };
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return NaN;
  const position = fraction * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Equal-width bins over [min, max]. */
export interface BinSpec {
  readonly min: number;
  readonly max: number;
  readonly bins: number;
}

export interface Histogram extends BinSpec {
  /** bins + 1 ascending edges; bin i is [edges[i], edges[i+1]), the last one closed. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  /** Values counted, equal to the sum of `counts`. */
  readonly total: number;
}

/** Default bin count: fine enough to see a shift, coarse enough for ~1000 validation reviews. */
export const DEFAULT_BINS = 30;

/** Bins for H: [0, log maxLength], the largest entropy any review of the run can reach. */
export function entropyBins(maxLength: number, bins = DEFAULT_BINS): BinSpec {
  if (!(maxLength >= 2)) {
    throw new DataError(
      'report-max-length',
      `entropy bins need the run's maximum review length (at least 2 tokens), got ${maxLength}`,
    );
  }
  return { min: 0, max: Math.log(maxLength), bins };
}

/** Bins for H / log n: [0, 1]. */
export function normalizedEntropyBins(bins = DEFAULT_BINS): BinSpec {
  return { min: 0, max: 1, bins };
}

/**
 * Counts values into fixed bins. Values outside [min, max] (rounding, or a review longer than
 * the bins assumed) go to the end bins so that every review is counted; non-finite ones are left out.
 */
export function histogram(values: ArrayLike<number>, spec: BinSpec): Histogram {
  if (!(spec.max > spec.min) || !Number.isInteger(spec.bins) || spec.bins < 1) {
    throw new DataError(
      'report-bins',
      `histogram bins must satisfy min < max and bins ≥ 1 (an integer), got min ${spec.min}, max ${spec.max}, bins ${spec.bins}`,
    );
  }
  const width = (spec.max - spec.min) / spec.bins;
  const counts = new Array<number>(spec.bins).fill(0);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    const bin = Math.floor((values[i] - spec.min) / width);
    counts[Math.min(spec.bins - 1, Math.max(0, bin))] += 1;
    total += 1;
  }
  const edges = Array.from({ length: spec.bins + 1 }, (_, i) => spec.min + i * width);
  return { ...spec, edges, counts, total };
}

/** A quantity's statistics and fixed-bin histogram. */
export interface Distribution {
  readonly stats: SummaryStats;
  readonly histogram: Histogram;
}

/** What one epoch's validation attention looked like: plain data, JSON-serialisable. */
export interface EpochEntropy {
  readonly epoch: number;
  /** H, binned over [0, log maxLength]. */
  readonly entropy: Distribution;
  /** H / log n, binned over [0, 1]. */
  readonly normalized: Distribution;
  /** log n: the entropy each review would have under uniform attention, binned like H. */
  readonly uniform: Distribution;
}

/** Summarises one epoch's entropies; `maxLength` is the run's token limit, fixing the bins. */
export function summarizeEpochEntropy(
  epoch: number,
  entropies: EntropyBatch,
  maxLength: number,
  bins = DEFAULT_BINS,
): EpochEntropy {
  const entropyBinSpec = entropyBins(maxLength, bins);
  const uniform = Float64Array.from(entropies.lengths, (length) => Math.log(Math.max(1, length)));
  const distribution = (values: ArrayLike<number>, spec: BinSpec): Distribution => ({
    stats: summaryStats(values),
    histogram: histogram(values, spec),
  });
  return {
    epoch,
    entropy: distribution(entropies.entropy, entropyBinSpec),
    normalized: distribution(entropies.normalized, normalizedEntropyBins(bins)),
    uniform: distribution(uniform, entropyBinSpec),
  };
}

/**
 * The epoch's statistics as flat metrics for the tracker, e.g. `val_attention_entropy_p50`,
 * `val_attention_entropy_norm_mean`.
 */
export function entropyMetrics(summary: EpochEntropy, prefix = 'val_attention_'): Record<string, number> {
  const metrics: Record<string, number> = {};
  const add = (name: string, stats: SummaryStats): void => {
    for (const key of ['mean', 'p10', 'p50', 'p90'] as const) metrics[`${prefix}${name}_${key}`] = stats[key];
  };
  add('entropy', summary.entropy.stats);
  add('entropy_norm', summary.normalized.stats);
  return metrics;
}
