import test from 'ava';
import { iterateBatches, batchCount, scoringBatches, type EncodedSplit } from '../../src/data/batches.js';

/** Example i has i % 7 + 1 tokens, each token id = 10 * i + position + 2. */
function split(size: number): EncodedSplit {
  const offsets = new Int32Array(size + 1);
  const ids: number[] = [];
  for (let i = 0; i < size; i++) {
    const length = (i % 7) + 1;
    for (let p = 0; p < length; p++) ids.push(10 * i + p + 2);
    offsets[i + 1] = ids.length;
  }
  return { ids: Int32Array.from(ids), offsets, labels: Int32Array.from({ length: size }, (_, i) => i % 2), size };
}

const data = split(53);
const options = { batchSize: 8, maxLength: 5, shuffle: false, seed: 1, bucketByLength: false };

test('a batch pads to its longest example, masks the padding and cuts at maxLength', (t) => {
  const [first] = iterateBatches(data, options);
  t.is(first.size, 8);
  t.is(first.time, 5);
  t.deepEqual([...first.lengths], [1, 2, 3, 4, 5, 5, 5, 1]);
  t.deepEqual([...first.ids.subarray(0, 5)], [2, 0, 0, 0, 0]);
  t.deepEqual([...first.mask.subarray(0, 5)], [1, 0, 0, 0, 0]);
  t.deepEqual([...first.ids.subarray(6 * 5, 7 * 5)], [62, 63, 64, 65, 66]);
  t.deepEqual([...first.labels], [0, 1, 0, 1, 0, 1, 0, 1]);
  t.deepEqual([...first.indices], [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('every example appears once; the last batch is partial', (t) => {
  const batches = [...iterateBatches(data, { ...options, shuffle: true, bucketByLength: true })];
  t.is(batches.length, batchCount(data, 8));
  t.is(batches.reduce((sum, batch) => sum + batch.size, 0), 53);
  t.deepEqual(batches.flatMap((batch) => [...batch.indices]).sort((a, b) => a - b), Array.from({ length: 53 }, (_, i) => i));
});

test('rows hold their example\'s tokens and mask sums equal lengths', (t) => {
  for (const batch of iterateBatches(data, { ...options, shuffle: true, seed: 5 })) {
    for (let row = 0; row < batch.size; row++) {
      const example = batch.indices[row];
      t.is(batch.ids[row * batch.time], 10 * example + 2);
      const maskSum = batch.mask.subarray(row * batch.time, (row + 1) * batch.time).reduce((sum, value) => sum + value, 0);
      t.is(maskSum, batch.lengths[row]);
    }
  }
});

test('shuffling is seeded', (t) => {
  const order = (seed: number) => [...iterateBatches(data, { ...options, shuffle: true, seed })].flatMap((batch) => [...batch.indices]);
  t.deepEqual(order(3), order(3));
  t.notDeepEqual(order(3), order(4));
});

test('length bucketing cuts padding', (t) => {
  const padding = (bucketByLength: boolean) => [...iterateBatches(split(800), { ...options, maxLength: 100, shuffle: true, bucketByLength })]
    .reduce((sum, batch) => sum + batch.size * batch.time - batch.lengths.reduce((a, b) => a + b, 0), 0);
  t.true(padding(true) < padding(false) / 2);
});

test('scoring batches hold every example once, sorted by length, within the row and position bounds', (t) => {
  const batches = [...scoringBatches(data, { maxRows: 6, maxTokens: 12, maxLength: 5 })];
  const order = batches.flatMap((batch) => [...batch.indices]);
  t.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: data.size }, (_, i) => i));
  const lengths = order.map((index) => Math.min(5, (index % 7) + 1));
  t.deepEqual(lengths, [...lengths].sort((a, b) => a - b));
  for (const batch of batches) {
    t.true(batch.size <= 6);
    t.true(batch.size * batch.time <= 12 || batch.size === 1, `${batch.size} × ${batch.time}`);
  }
  // Length-1 reviews fill the row bound; the 21 reviews cut at 5 tokens go two per batch (3 × 5 > 12).
  t.is(batches[0].size, 6);
  t.deepEqual(batches.filter((batch) => batch.time === 5).map((batch) => batch.size), [...Array.from({ length: 10 }, () => 2), 1]);
});

test('a review longer than the position bound is scored alone', (t) => {
  const batches = [...scoringBatches(data, { maxRows: 64, maxTokens: 3, maxLength: 5 })];
  t.true(batches.filter((batch) => batch.time > 3).every((batch) => batch.size === 1));
  t.is(batches.reduce((sum, batch) => sum + batch.size, 0), data.size);
});

test('an empty split has no scoring batches; one review makes one batch of one row', (t) => {
  t.deepEqual([...scoringBatches(split(0), { maxRows: 8, maxTokens: 64, maxLength: 5 })], []);
  const [only, ...rest] = scoringBatches(split(1), { maxRows: 8, maxTokens: 64, maxLength: 5 });
  t.deepEqual(rest, []);
  t.is(only.size, 1);
  t.deepEqual([...only.indices], [0]);
  t.deepEqual([...only.ids], [2]);
});
