/**
 * Seeded, stratified splits and samples for any labelled dataset: every class keeps its share.
 */
import type { Example, LabelledCorpus } from '../plugin-api.js';
import { deriveSeed, mulberry32, shuffleInPlace } from './random.js';

/** What a dataset reads before it is split: the official train and test sets. */
export interface RawCorpus {
  readonly labels: readonly string[];
  readonly train: readonly Example[];
  readonly test: readonly Example[];
}

export interface SplitOptions {
  /** Share of the training pool carved out as validation, in [0, 1). */
  readonly valFraction: number;
  /** Size of the training pool (train + validation) before carving; 0 = all. */
  readonly trainLimit?: number;
  /** Size of the test set; 0 = all. */
  readonly testLimit?: number;
  readonly seed: number;
}

/** Applies the limits, then carves validation out of the (limited) training pool. */
export function splitCorpus(raw: RawCorpus, options: SplitOptions): LabelledCorpus {
  const pool = limit(raw.train, options.trainLimit, deriveSeed(options.seed, 'train-limit'));
  const test = limit(raw.test, options.testLimit, deriveSeed(options.seed, 'test-limit'));
  const { picked: validation, rest: train } = stratifiedPick(pool, Math.round(pool.length * options.valFraction), deriveSeed(options.seed, 'validation'));
  return { labels: raw.labels, train, validation, test };
}

function limit(examples: readonly Example[], count: number | undefined, seed: number): readonly Example[] {
  if (!count || count >= examples.length) return examples;
  return stratifiedPick(examples, count, seed).picked;
}

/**
 * Picks `count` examples with each label's share kept (largest remainder rounding), at random
 * from `seed`. Both parts keep the input order.
 */
export function stratifiedPick<T extends { readonly label: number }>(
  examples: readonly T[],
  count: number,
  seed: number,
): { picked: T[]; rest: T[] } {
  const random = mulberry32(seed);
  const byLabel = groupIndicesByLabel(examples);
  const quotas = apportion([...byLabel.values()].map((indices) => indices.length), count);
  const chosen = new Uint8Array(examples.length);
  [...byLabel.values()].forEach((indices, group) => {
    shuffleInPlace(indices, random);
    for (let i = 0; i < quotas[group]; i++) chosen[indices[i]] = 1;
  });
  const picked: T[] = [];
  const rest: T[] = [];
  examples.forEach((example, index) => (chosen[index] ? picked : rest).push(example));
  return { picked, rest };
}

/** Indices per label, labels in ascending order so that the result does not depend on input order. */
function groupIndicesByLabel(examples: readonly { readonly label: number }[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  examples.forEach((example, index) => {
    const group = groups.get(example.label);
    if (group) group.push(index);
    else groups.set(example.label, [index]);
  });
  return new Map([...groups].sort(([a], [b]) => a - b));
}

/** Splits `total` over groups proportionally to their sizes; the rounding goes to the largest remainders. */
function apportion(sizes: readonly number[], total: number): number[] {
  const all = sizes.reduce((sum, size) => sum + size, 0);
  if (all === 0) return sizes.map(() => 0);
  const exact = sizes.map((size) => (size * total) / all);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((sum, quota) => sum + quota, 0);
  const byRemainder = exact.map((value, group) => ({ group, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.group - b.group);
  for (const { group } of byRemainder) {
    if (left === 0) break;
    if (quotas[group] < sizes[group]) {
      quotas[group]++;
      left--;
    }
  }
  return quotas;
}
