import test from 'ava';
import { maskedSoftmax, outerRowSums, rowDots, weightedRowSums, type Representations } from '../../../src/nn/wasm/attention-kernels.js';

/** Representations that are the array itself. */
const rowsOf = (values: Float32Array): Representations => ({ key: values, values: () => values });

function pseudoRandom(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

function check(batch: number, time: number, dim: number, seed: number) {
  return (t: import('ava').ExecutionContext) => {
    const v = pseudoRandom(batch * time * dim, seed);
    const w = pseudoRandom(batch * time, seed + 1);
    const perRow = pseudoRandom(batch * dim, seed + 2);
    const shared = pseudoRandom(dim, seed + 3);
    const sums = weightedRowSums(w, rowsOf(v), batch, time, dim);
    const dots = rowDots(rowsOf(v), perRow, batch, time, dim);
    const sharedDots = rowDots(rowsOf(v), shared, batch, time, dim);
    const outer = outerRowSums([[w, perRow]], batch, time, dim, new Float32Array(batch * time * dim));
    const sharedOuter = outerRowSums([[w, shared]], batch, time, dim, new Float32Array(batch * time * dim));
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < dim; k++) {
        let expected = 0;
        for (let step = 0; step < time; step++) expected += w[b * time + step] * v[(b * time + step) * dim + k];
        t.true(close(sums[b * dim + k], expected), `Σ_t w·v [${b}, ${k}]`);
      }
      for (let step = 0; step < time; step++) {
        const position = b * time + step;
        let dot = 0;
        let sharedDot = 0;
        for (let k = 0; k < dim; k++) {
          dot += v[position * dim + k] * perRow[b * dim + k];
          sharedDot += v[position * dim + k] * shared[k];
          t.true(close(outer[position * dim + k], w[position] * perRow[b * dim + k]), `w·u [${position}, ${k}]`);
          t.true(close(sharedOuter[position * dim + k], w[position] * shared[k]), `w·q [${position}, ${k}]`);
        }
        t.true(close(dots[position], dot), `v·u [${position}]`);
        t.true(close(sharedDots[position], sharedDot), `v·q [${position}]`);
      }
    }
  };
}

test('small batch: every kernel matches its float64 definition', check(3, 5, 8, 1));
// Bigger arrays grow the memory and the cached slots; the earlier arrays are then copied again.
test('larger batch after a small one, then a small one again', (t) => {
  check(4, 37, 12, 2)(t);
  check(2, 3, 4, 3)(t);
});

test('outer row sums: each product rounded to float32, then the products added in order, into the array given', (t) => {
  const [batch, time, dim] = [3, 5, 8];
  const [w1, w2] = [pseudoRandom(batch * time, 21), pseudoRandom(batch * time, 22)];
  const [perRow, shared] = [pseudoRandom(batch * dim, 23), pseudoRandom(dim, 24)];
  const into = new Float32Array(batch * time * dim).fill(7);
  const sums = outerRowSums([[w1, perRow], [w2, shared]], batch, time, dim, into);
  t.is(sums, into);
  const expected = Float32Array.from({ length: batch * time * dim }, (_, index) => {
    const [position, k] = [Math.floor(index / dim), index % dim];
    return Math.fround(w1[position] * perRow[Math.floor(position / time) * dim + k]) + Math.fround(w2[position] * shared[k]);
  });
  t.deepEqual(sums, expected);
});

test('a cached array read again gives the same results; a new array with other values is not confused with it', (t) => {
  const [batch, time, dim] = [2, 4, 8];
  const w = pseudoRandom(batch * time, 9);
  const first = pseudoRandom(batch * time * dim, 10);
  const second = pseudoRandom(batch * time * dim, 11);
  const once = weightedRowSums(w, rowsOf(first), batch, time, dim);
  t.deepEqual(weightedRowSums(w, rowsOf(first), batch, time, dim), once);
  t.notDeepEqual(weightedRowSums(w, rowsOf(second), batch, time, dim), once);
  const third = pseudoRandom(batch * time * dim, 12);
  weightedRowSums(w, rowsOf(third), batch, time, dim);
  t.deepEqual(weightedRowSums(w, rowsOf(first), batch, time, dim), once);
});

/** softmax over the positions where mask > 0, in float64. */
function softmaxReference(scores: Float32Array, mask: Float32Array, rows: number, time: number): number[] {
  const out: number[] = [];
  for (let row = 0; row < rows; row++) {
    const real = Array.from({ length: time }, (_, t) => row * time + t).filter((position) => mask[position] > 0);
    const highest = Math.max(...real.map((position) => scores[position]));
    const total = real.reduce((sum, position) => sum + Math.exp(scores[position] - highest), 0);
    for (let t = 0; t < time; t++) out.push(mask[row * time + t] > 0 ? Math.exp(scores[row * time + t] - highest) / total : 0);
  }
  return out;
}

test('masked softmax: rows of four positions and of tails, padding anywhere, a row all padding, large scores', (t) => {
  const [rows, time] = [4, 7];
  const scores = pseudoRandom(rows * time, 21).map((value, position) => value * 30 + (position === 3 ? 80 : 0));
  // Row 0 real throughout, row 1 padded at the end, row 2 with holes, row 3 all padding.
  const mask = Float32Array.from({ length: rows * time }, (_, position) => {
    const [row, step] = [Math.floor(position / time), position % time];
    return [1, step < 5 ? 1 : 0, step % 3 === 1 ? 0 : 1, 0][row];
  });
  const probabilities = maskedSoftmax(scores, mask, rows, time);
  const expected = softmaxReference(scores, mask, rows, time);
  probabilities.forEach((p, position) => t.true(Math.abs(p - expected[position]) <= 1e-6, `p[${position}] ${p} against ${expected[position]}`));
  t.deepEqual(Array.from(probabilities.subarray(3 * time)), Array.from({ length: time }, () => 0), 'a row without a real token');
  for (const row of [0, 1, 2]) t.true(Math.abs(probabilities.subarray(row * time, (row + 1) * time).reduce((sum, p) => sum + p, 0) - 1) < 1e-6);
});
