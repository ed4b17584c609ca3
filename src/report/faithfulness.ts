/**
 * "Is attention explanation?" — two checks of whether attention weights say why a model decided
 * (Jain & Wallace, NAACL 2019):
 * - agreement: Kendall τ between the attention ranking of the tokens and a gradient-based
 *   importance ranking (gradient × input);
 * - counterfactual: how much the prediction moves when the attention weights of a review are
 *   randomly permuted over its tokens.
 * The model side (gradients, a forward pass with given weights) belongs to the trainer, which
 * hands it in as plain arrays and callbacks.
 */
import { mulberry32, shuffleInPlace } from '../data/random.js';
import { DataError } from '../errors.js';
import { summaryStats } from './entropy.js';
import type { SummaryStats } from './entropy.js';

/**
 * Kendall's τ-b between two scorings of the same items (ties handled as in scipy's `kendalltau`).
 * O(n²): a review's few hundred tokens take well under a millisecond. NaN when either scoring is
 * constant, where the correlation is undefined.
 */
export function kendallTauB(first: ArrayLike<number>, second: ArrayLike<number>): number {
  if (first.length !== second.length) {
    throw new DataError(
      'report-rank-length',
      `Kendall τ needs two scorings of the same tokens, got ${first.length} and ${second.length} values`,
    );
  }
  let concordantMinusDiscordant = 0;
  let tiedFirst = 0;
  let tiedSecond = 0;
  for (let i = 0; i < first.length; i++) {
    for (let j = i + 1; j < first.length; j++) {
      const signFirst = Math.sign(first[i] - first[j]);
      const signSecond = Math.sign(second[i] - second[j]);
      if (signFirst === 0) tiedFirst++;
      if (signSecond === 0) tiedSecond++;
      concordantMinusDiscordant += signFirst * signSecond;
    }
  }
  const pairs = (first.length * (first.length - 1)) / 2;
  return concordantMinusDiscordant / Math.sqrt((pairs - tiedFirst) * (pairs - tiedSecond));
}

/**
 * Gradient × input importance of each token: |Σ_d ∂p/∂x_td · x_td| over row-major [tokens, dim]
 * gradients and inputs (the embeddings the model saw).
 */
export function gradientTimesInput(gradient: ArrayLike<number>, input: ArrayLike<number>, dim: number): Float64Array {
  if (gradient.length !== input.length || gradient.length % dim !== 0) {
    throw new DataError(
      'report-gradient-shape',
      `gradient (${gradient.length} values) and input (${input.length} values) must both be [tokens, ${dim}]`,
    );
  }
  const importance = new Float64Array(gradient.length / dim);
  for (let token = 0; token < importance.length; token++) {
    let dot = 0;
    for (let d = token * dim; d < (token + 1) * dim; d++) dot += gradient[d] * input[d];
    importance[token] = Math.abs(dot);
  }
  return importance;
}

/** |Δp| under K random permutations of one review's attention. */
export interface PermutationSensitivity {
  readonly median: number;
  readonly mean: number;
  readonly max: number;
  readonly deltas: Float64Array;
}

/** `count` seeded random permutations of one review's attention weights. */
export function permutedWeights(weights: ArrayLike<number>, count: number, seed: number): Float32Array[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new DataError('report-permutations', `permutations must be a positive integer, got ${count}`);
  }
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => shuffleInPlace(Float32Array.from(weights), random));
}

/**
 * |Δp| of the model's `probabilities` under `count` permuted weight sets (from `permutedWeights`,
 * in order) against its `probability` under the review's own weights.
 */
export function permutationChange(probability: number, probabilities: ArrayLike<number>, count: number): PermutationSensitivity {
  if (probabilities.length !== count) {
    throw new DataError(
      'report-predict-count',
      `${probabilities.length} probabilities for ${count} permuted weight sets; expected one per set`,
    );
  }
  const deltas = Float64Array.from(probabilities, (value) => Math.abs(value - probability));
  const stats = summaryStats(deltas);
  return { median: stats.p50, mean: stats.mean, max: Math.max(...deltas), deltas };
}

/** One review's two checks. */
export interface ReviewFaithfulness {
  readonly id?: string;
  /** τ-b between attention and gradient × input over the review's tokens. */
  readonly kendallTau: number;
  readonly permutation: PermutationSensitivity;
}

/** A set of reviews' checks, as the report and the terminal show them. */
export interface FaithfulnessSummary {
  readonly reviews: number;
  /** Which reviews were measured, in words, when they are a sample (e.g. `the 12 shown and 188 drawn at random`). */
  readonly chosen?: string;
  readonly permutations: number;
  /** τ over reviews (undefined τ left out). */
  readonly kendallTau: SummaryStats;
  /** Each review's median |Δp|, over reviews. */
  readonly medianDelta: SummaryStats;
}

export function summarizeFaithfulness(reviews: readonly ReviewFaithfulness[]): FaithfulnessSummary {
  return {
    reviews: reviews.length,
    permutations: reviews[0]?.permutation.deltas.length ?? 0,
    kendallTau: summaryStats(reviews.map((review) => review.kendallTau)),
    medianDelta: summaryStats(reviews.map((review) => review.permutation.median)),
  };
}

/** The summary in words: what the numbers mean for reading attention as explanation. */
export function describeFaithfulness(summary: FaithfulnessSummary): string[] {
  const tau = summary.kendallTau;
  const delta = summary.medianDelta;
  return [
    `Kendall τ (attention vs gradient × input), over ${tau.count === 1 ? '1 review' : `${tau.count} reviews`}: ` +
      `median ${fixed(tau.p50)} (p10 ${fixed(tau.p10)}, p90 ${fixed(tau.p90)}); 1 = same ranking, 0 = unrelated.`,
    `Prediction change |Δp| under ${summary.permutations} random permutations of the attention, ` +
      `median per review: median ${fixed(delta.p50)}, mean ${fixed(delta.mean)}, p90 ${fixed(delta.p90)}; ` +
      'near 0 means the output does not depend on where attention goes.',
  ];
}

function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : 'n/a';
}
