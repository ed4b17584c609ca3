import test from 'ava';
import { DataError } from '../../src/errors.js';
import {
  describeFaithfulness,
  gradientTimesInput,
  kendallTauB,
  permutationChange,
  permutedWeights,
  summarizeFaithfulness,
} from '../../src/report/faithfulness.js';

const close = (actual: number, expected: number, tolerance = 1e-12): boolean => Math.abs(actual - expected) < tolerance;

test('Kendall τ-b is 1 for the same ranking, −1 for the reversed one, whatever the scale', (t) => {
  t.is(kendallTauB([0.1, 0.5, 0.2, 0.9], [1, 50, 3, 1000]), 1);
  t.is(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), -1);
});

test('Kendall τ-b counts ties as scipy does', (t) => {
  // scipy.stats.kendalltau documentation example: tau = -0.47140452079103173.
  t.true(close(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]), -0.47140452079103173));
  // By hand: 8 concordant, 1 discordant, 1 pair tied in y only → 7 / sqrt(10 · 9).
  t.true(close(kendallTauB([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 7 / Math.sqrt(90)));
});

test('Kendall τ-b is undefined (NaN) when a scoring is constant, and rejects unequal lengths', (t) => {
  t.true(Number.isNaN(kendallTauB([1, 1, 1], [1, 2, 3])));
  const error = t.throws(() => kendallTauB([1, 2], [1, 2, 3]), { instanceOf: DataError });
  t.is(error?.code, 'report-rank-length');
});

test('gradient × input is |Σ_d g·x| per token', (t) => {
  const gradient = [1, 2, /* token 2 */ -1, 0.5, /* token 3 */ 0, 0];
  const input = [3, 4, /* token 2 */ 2, -2, /* token 3 */ 5, 5];
  t.deepEqual([...gradientTimesInput(gradient, input, 2)], [11, 3, 0]);
  t.throws(() => gradientTimesInput([1, 2, 3], [1, 2, 3], 2), { instanceOf: DataError });
});

/** A model that only believes the first token: p = the weight on token 0. */
const firstToken = (sets: readonly Float32Array[]) => sets.map((set) => set[0]);

test('permutations keep the weights of the review, and Δp is measured against the original probability', (t) => {
  const weights = [0.7, 0.2, 0.1];
  const sets = permutedWeights(weights, 50, 5);
  t.is(sets.length, 50);
  for (const set of sets) t.deepEqual([...set].sort(), [...Float32Array.from(weights)].sort());
  const result = permutationChange(0.7, firstToken(sets), 50);
  t.is(result.deltas.length, 50);
  for (let k = 0; k < 50; k++) t.true(close(result.deltas[k], Math.abs(sets[k][0] - 0.7), 1e-6));
  t.true(result.max > 0.5, 'some permutation moved the heavy weight off token 0');
  t.true(result.median >= 0 && result.median <= result.max);
});

test('permutations are reproducible from the seed and change with it', (t) => {
  const weights = Array.from({ length: 20 }, (_, i) => (i + 1) / 210);
  const firsts = (seed: number) => firstToken(permutedWeights(weights, 10, seed));
  t.deepEqual(firsts(1), firsts(1));
  t.notDeepEqual(firsts(1), firsts(2));
});

test('a model indifferent to attention shows no prediction change', (t) => {
  const result = permutationChange(0.9, permutedWeights([0.5, 0.3, 0.2], 100, 0).map(() => 0.9), 100);
  t.is(result.deltas.length, 100);
  t.is(result.max, 0);
});

test('a permutation count that is not a positive integer, or probabilities not one per permutation, are reported', (t) => {
  t.is(t.throws(() => permutedWeights([0.5, 0.5], 0, 0), { instanceOf: DataError })?.code, 'report-permutations');
  const error = t.throws(() => permutationChange(0.5, [0.5], 3), { instanceOf: DataError });
  t.is(error?.code, 'report-predict-count');
  t.regex(error?.message ?? '', /1 probabilities for 3 permuted weight sets/);
});

test('the summary aggregates per-review results and says what they mean', (t) => {
  const permutation = permutationChange(0.9, firstToken(permutedWeights([0.9, 0.1], 4, 0)), 4);
  const summary = summarizeFaithfulness([
    { kendallTau: 0.2, permutation },
    { kendallTau: 0.6, permutation },
    { kendallTau: NaN, permutation },
  ]);
  t.is(summary.reviews, 3);
  t.is(summary.permutations, 4);
  t.is(summary.kendallTau.count, 2);
  t.true(close(summary.kendallTau.p50, 0.4));
  const lines = describeFaithfulness(summary);
  t.regex(lines[0], /median 0\.400/);
  t.regex(lines[1], /4 random permutations/);
});
