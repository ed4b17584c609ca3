import test from 'ava';
import { RowGatherer } from '../../../src/nn/wasm/gather-kernel.js';

const [size, dim] = [50, 6];
const table = Float32Array.from({ length: size * dim }, (_, index) => Math.sin(index) * 10);
const rowOf = (id: number) => Array.from(table.subarray(id * dim, (id + 1) * dim));

test('gather copies each id’s row, repeats and the last row included', (t) => {
  const ids = Int32Array.from([3, 0, 49, 3, 17]);
  const out = new RowGatherer(table, dim).gather(ids);
  t.deepEqual(Array.from(out), [...ids].flatMap(rowOf));
});

test('gather grows its memory for larger batches and keeps the table intact', (t) => {
  const gatherer = new RowGatherer(table, dim);
  const small = Int32Array.from([1, 2]);
  const large = Int32Array.from({ length: 40_000 }, (_, position) => (position * 7) % size);
  t.deepEqual(Array.from(gatherer.gather(small)), [...small].flatMap(rowOf));
  const out = gatherer.gather(large);
  t.is(out.length, large.length * dim);
  for (const position of [0, 1, 12_345, 39_999]) t.deepEqual(Array.from(out.subarray(position * dim, (position + 1) * dim)), rowOf(large[position]));
  t.deepEqual(Array.from(gatherer.gather(small)), [...small].flatMap(rowOf));
});
