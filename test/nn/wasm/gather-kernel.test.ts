import test from 'ava';
import { attentionBackward, KernelArena, rowDots, unchangingQueryDots, weightedRowSums, type Representations } from '../../../src/nn/wasm/attention-kernels.js';

const size = 50;
const tableOf = (dim: number) => Float32Array.from({ length: size * dim }, (_, index) => Math.sin(index) * 10);
/** Rows of whole SIMD vectors, copied by vectors, and rows of 6 floats, copied by bulk memory. */
const DIMS = [8, 6];
const [dim] = DIMS;
const table = tableOf(dim);
const rowsOf = (values: Float32Array, width: number) => (id: number) => Array.from(values.subarray(id * width, (id + 1) * width));
const rowOf = rowsOf(table, dim);
const tableArena = () => new KernelArena({ values: table, dim });
const unread: Representations['values'] = () => {
  throw new Error('rows of a table lookup are gathered, not read');
};
/** Looks `ids` up and has a kernel read them: a copy of the rows the arena gathered. */
function gathered(arena: KernelArena, ids: Int32Array, width = dim): Float32Array {
  const key = {};
  arena.lookUp(ids, key);
  return arena.beginCall().read(arena.representations({ key, values: unread }), ids.length * width);
}

for (const width of DIMS) {
  test(`gather copies each id’s row, repeats and the last row included (rows of ${width} floats)`, (t) => {
    const values = tableOf(width);
    const ids = Int32Array.from([3, 0, 49, 3, 17]);
    t.deepEqual(Array.from(gathered(new KernelArena({ values, dim: width }), ids, width)), [...ids].flatMap(rowsOf(values, width)));
  });
}

test('gather grows its memory for larger batches and keeps the table intact', (t) => {
  const arena = tableArena();
  const small = Int32Array.from([1, 2]);
  const large = Int32Array.from({ length: 40_000 }, (_, position) => (position * 7) % size);
  t.deepEqual(Array.from(gathered(arena, small)), [...small].flatMap(rowOf));
  const out = gathered(arena, large);
  t.is(out.length, large.length * dim);
  for (const position of [0, 1, 12_345, 39_999]) t.deepEqual(Array.from(out.subarray(position * dim, (position + 1) * dim)), rowOf(large[position]));
  t.deepEqual(Array.from(gathered(arena, small)), [...small].flatMap(rowOf));
});

test('a lookup is gathered when a kernel reads it, and gathered again once overwritten', (t) => {
  const arena = tableArena();
  const [batch, time] = [2, 3];
  const ids = Int32Array.from([4, 9, 0, 49, 4, 7]);
  const key = {};
  arena.lookUp(ids, key);
  const rows: Representations = { key, values: unread };
  const weights = Float32Array.from([0.5, 0.25, 0.25, 1, 0, 0]);
  const query = Float32Array.from({ length: dim }, (_, k) => k - 3);
  const sums = weightedRowSums(weights, rows, batch, time, dim);
  const dots = rowDots(rows, query, batch, time, dim);
  t.deepEqual(Array.from(arena.lookupValues(key, ids.length * dim)), [...ids].flatMap(rowOf));
  for (let k = 0; k < dim; k++) t.true(Math.abs(sums[k] - (0.5 * rowOf(4)[k] + 0.25 * rowOf(9)[k] + 0.25 * rowOf(0)[k])) < 1e-5);
  t.true(Math.abs(dots[3] - rowOf(49).reduce((sum, value, k) => sum + value * query[k], 0)) < 1e-4);
  // Two more lookups take both slots: the first rows are no longer there.
  gathered(arena, Int32Array.from([1, 1, 1, 1, 1, 1]));
  gathered(arena, Int32Array.from([2, 2, 2, 2, 2, 2]));
  t.deepEqual(weightedRowSums(weights, rows, batch, time, dim), sums);
  t.deepEqual(Array.from(arena.lookupValues(key, ids.length * dim)), [...ids].flatMap(rowOf));
});

test('weighted sums, dots and the attention backward read a lookup from the table itself, with the results they give over its gathered rows', (t) => {
  const arena = tableArena();
  // Six positions a row: a group of four, then two on their own.
  const [batch, time] = [3, 6];
  const ids = Int32Array.from({ length: batch * time }, (_, position) => (position * 13 + 5) % size);
  const key = {};
  arena.lookUp(ids, key);
  const rows: Representations = { key, values: unread };
  const weights = Float32Array.from({ length: batch * time }, (_, position) => ((position % 5) + 1) / 7);
  const perRow = Float32Array.from({ length: batch * dim }, (_, index) => Math.cos(index));
  const shared = perRow.subarray(0, dim);
  const dWeights = weights.map((weight, position) => weight - position / 20);
  const pooled = perRow.map((value) => value / 3);
  const kernels = () => {
    const { e, dq } = attentionBackward(weights, dWeights, rows, perRow, pooled, batch, time, dim);
    return [weightedRowSums(weights, rows, batch, time, dim), rowDots(rows, perRow, batch, time, dim), rowDots(rows, shared, batch, time, dim), e, dq];
  };
  const direct = kernels();
  t.deepEqual(arena.uncopiedLookup(key), ids, 'nothing gathered yet');
  arena.lookupValues(key, ids.length * dim);
  t.is(arena.uncopiedLookup(key), undefined);
  t.deepEqual(kernels(), direct);
});

test('dots with an unchanging query over a lookup take each word’s dot, the floats rowDots gives, and follow a new query', (t) => {
  const arena = tableArena();
  const [batch, time] = [2, 5];
  const rowsFor = (ids: Int32Array): Representations => {
    const key = {};
    arena.lookUp(ids, key);
    return { key, values: unread };
  };
  const first = rowsFor(Int32Array.from({ length: batch * time }, (_, position) => (position * 7 + 3) % size));
  const second = rowsFor(Int32Array.from({ length: batch * time }, (_, position) => (position * 11 + 1) % size));
  const query = Float32Array.from({ length: dim }, (_, k) => Math.cos(k) * 3);
  const other = query.map((value) => value / 2 - 1);
  for (const [rows, q] of [[first, query], [second, query], [first, other], [second, query]] as const) {
    t.deepEqual(unchangingQueryDots(rows, q, batch, time, dim), rowDots(rows, q, batch, time, dim));
  }
  const plain: Representations = { key: {}, values: () => Float32Array.from({ length: batch * time * dim }, (_, index) => index / 10) };
  t.deepEqual(unchangingQueryDots(plain, query, batch, time, dim), rowDots(plain, query, batch, time, dim), 'rows no table holds');
});
