import test from 'ava';
import { DataError } from '../../src/errors.js';
import {
  attentionEntropy,
  batchEntropy,
  concatEntropyBatches,
  entropyBins,
  entropyMetrics,
  histogram,
  normalizeEntropy,
  reviewEntropies,
  summarizeEpochEntropy,
  summaryStats,
} from '../../src/report/entropy.js';

const uniform = (n: number): number[] => new Array<number>(n).fill(1 / n);

test('uniform attention over n tokens has entropy log n and normalised entropy 1', (t) => {
  for (const n of [2, 7, 200]) {
    const entropy = attentionEntropy(uniform(n));
    t.true(Math.abs(entropy - Math.log(n)) < 1e-12, `n=${n}: ${entropy}`);
    t.true(Math.abs(normalizeEntropy(entropy, n) - 1) < 1e-12);
  }
});

test('one-hot attention has entropy 0, and padding zeros contribute nothing', (t) => {
  t.is(attentionEntropy([0, 1, 0, 0]), 0);
  t.is(attentionEntropy([1]), 0);
  const padded = [0.25, 0.75, 0, 0, 0];
  t.is(attentionEntropy(padded), attentionEntropy([0.25, 0.75]));
});

test('a two-point distribution matches the hand computation', (t) => {
  const expected = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
  t.true(Math.abs(attentionEntropy([0.25, 0.75]) - expected) < 1e-12);
});

test('normalised entropy of a one-token review is 0, not NaN', (t) => {
  t.is(normalizeEntropy(0, 1), 0);
  t.is(normalizeEntropy(0, 0), 0);
});

test('batchEntropy reads row-major [batch, time] weights with per-row lengths', (t) => {
  const weights = Float32Array.from([0.5, 0.5, 0, 0, /* row 2 */ 0, 0, 0, 1, /* row 3 */ 0.25, 0.25, 0.25, 0.25]);
  const result = batchEntropy(weights, [2, 1, 4]);
  t.true(Math.abs(result.entropy[0] - Math.log(2)) < 1e-7);
  t.is(result.entropy[1], 0);
  t.true(Math.abs(result.entropy[2] - Math.log(4)) < 1e-7);
  t.true(Math.abs(result.normalized[0] - 1) < 1e-6);
  t.is(result.normalized[1], 0);
  t.deepEqual([...result.lengths], [2, 1, 4]);
});

test('batchEntropy rejects weights that do not split into the given rows', (t) => {
  const error = t.throws(() => batchEntropy(new Float32Array(7), [2, 2]), { instanceOf: DataError });
  t.is(error?.code, 'report-weights-shape');
  t.regex(error?.message ?? '', /7 values.*2 lengths/);
});

test('reviewEntropies takes variable-length reviews and agrees with batchEntropy', (t) => {
  const reviews = [[0.5, 0.5], [1], [0.25, 0.25, 0.25, 0.25]];
  const padded = Float32Array.from([0.5, 0.5, 0, 0, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]);
  const fromReviews = reviewEntropies(reviews);
  const fromBatch = batchEntropy(padded, [2, 1, 4]);
  t.deepEqual([...fromReviews.lengths], [2, 1, 4]);
  t.deepEqual([...fromReviews.entropy], [...fromBatch.entropy]);
  t.deepEqual([...fromReviews.normalized], [...fromBatch.normalized]);
});

test('concatEntropyBatches keeps row order', (t) => {
  const first = batchEntropy(Float32Array.from([1, 0]), [1]);
  const second = batchEntropy(Float32Array.from([0.5, 0.5, 1, 0]), [2, 1]);
  const joined = concatEntropyBatches([first, second]);
  t.deepEqual([...joined.lengths], [1, 2, 1]);
  t.is(joined.entropy[0], 0);
  t.true(joined.entropy[1] > 0.69);
});

test('summaryStats interpolates percentiles and skips non-finite values', (t) => {
  const values = [NaN, ...Array.from({ length: 11 }, (_, i) => 10 - i)]; // 0..10 shuffled by reversal
  const stats = summaryStats(values);
  t.is(stats.count, 11);
  t.is(stats.mean, 5);
  t.is(stats.p10, 1);
  t.is(stats.p50, 5);
  t.is(stats.p90, 9);
  t.true(Math.abs(summaryStats([0, 1]).p10 - 0.1) < 1e-12);
  t.true(Number.isNaN(summaryStats([]).mean));
});

test('histogram bins are fixed, half-open, and clamp values outside the range', (t) => {
  const result = histogram([0, 0.1, 0.25, 0.5, 0.99, 1, 1.2, -0.01, Infinity], { min: 0, max: 1, bins: 4 });
  t.deepEqual(result.edges, [0, 0.25, 0.5, 0.75, 1]);
  t.deepEqual(result.counts, [3, 1, 1, 3]);
  t.is(result.total, 8);
});

test('histogram rejects empty or inverted ranges', (t) => {
  const error = t.throws(() => histogram([1], { min: 1, max: 1, bins: 3 }), { instanceOf: DataError });
  t.is(error?.code, 'report-bins');
  t.throws(() => histogram([1], { min: 0, max: 1, bins: 0 }), { instanceOf: DataError });
});

test('entropy bins span [0, log maxLength], the same every epoch', (t) => {
  const spec = entropyBins(200, 20);
  t.is(spec.min, 0);
  t.true(Math.abs(spec.max - Math.log(200)) < 1e-12);
  t.throws(() => entropyBins(1), { instanceOf: DataError });
});

test('an epoch summary bins H, H/log n and log n, and flattens into metrics', (t) => {
  const weights = Float32Array.from([0.5, 0.5, 0, 0, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]);
  const summary = summarizeEpochEntropy(3, batchEntropy(weights, [2, 1, 4]), 4, 4);
  t.is(summary.epoch, 3);
  t.is(summary.entropy.histogram.total, 3);
  t.true(Math.abs(summary.entropy.histogram.max - Math.log(4)) < 1e-12);
  // log 2 is exactly the middle edge of [0, log 4] in 4 bins: bin 2; log 4 is the closed end: bin 3.
  t.deepEqual(summary.entropy.histogram.counts, [1, 0, 1, 1]);
  t.deepEqual(summary.uniform.histogram.counts, [1, 0, 1, 1]);
  t.deepEqual(summary.normalized.histogram.counts, [1, 0, 0, 2]);
  const metrics = entropyMetrics(summary);
  t.is(metrics.val_attention_entropy_p50, summary.entropy.stats.p50);
  t.is(metrics.val_attention_entropy_norm_mean, summary.normalized.stats.mean);
  t.is(Object.keys(metrics).length, 8);
});
