import test from 'ava';
import { KernelArena, rowDots, weightedRowSums, type Representations } from '../../../src/nn/wasm/attention-kernels.js';

const size = 50;
const tableOf = (dim: number) => Float32Array.from({ length: size * dim }, (_, index) => Math.sin(index) * 10);
/** Rows of whole SIMD vectors, copied by vectors, and rows of 6 floats, copied by bulk memory. */
const DIMS = [8, 6];
const [dim] = DIMS;
const table = tableOf(dim);
const rowsOf = (values: Float32Array, width: number) => (id: number) => Array.from(values.subarray(id * width, (id + 1) * width));
const rowOf = rowsOf(table, dim);
const tableArena = () => new KernelArena({ values: table, dim });
/** Gathers `ids` and keeps a copy of the rows as the key they are cached under. */
const gathered = (arena: KernelArena, ids: Int32Array) => arena.beginCall().gather(ids, (rows) => rows.slice());

for (const width of DIMS) {
  test(`gather copies each id’s row, repeats and the last row included (rows of ${width} floats)`, (t) => {
    const values = tableOf(width);
    const ids = Int32Array.from([3, 0, 49, 3, 17]);
    t.deepEqual(Array.from(gathered(new KernelArena({ values, dim: width }), ids)), [...ids].flatMap(rowsOf(values, width)));
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

test('the attention kernels read gathered rows where they were gathered, and copy them in again once overwritten', (t) => {
  const arena = tableArena();
  const [batch, time] = [2, 3];
  const ids = Int32Array.from([4, 9, 0, 49, 4, 7]);
  const key = gathered(arena, ids);
  let reads = 0;
  const rows: Representations = { key, values: () => (reads++, key) };
  const weights = Float32Array.from([0.5, 0.25, 0.25, 1, 0, 0]);
  const query = Float32Array.from({ length: dim }, (_, k) => k - 3);
  const sums = weightedRowSums(weights, rows, batch, time, dim);
  const dots = rowDots(rows, query, batch, time, dim);
  t.is(reads, 0);
  for (let k = 0; k < dim; k++) t.true(Math.abs(sums[k] - (0.5 * rowOf(4)[k] + 0.25 * rowOf(9)[k] + 0.25 * rowOf(0)[k])) < 1e-5);
  t.true(Math.abs(dots[3] - rowOf(49).reduce((sum, value, k) => sum + value * query[k], 0)) < 1e-4);
  // Two more lookups take both slots: the first rows are no longer there.
  gathered(arena, Int32Array.from([1, 1, 1, 1, 1, 1]));
  gathered(arena, Int32Array.from([2, 2, 2, 2, 2, 2]));
  t.deepEqual(weightedRowSums(weights, rows, batch, time, dim), sums);
  t.is(reads, 1);
});
