import test from 'ava';
import { selectBackend } from '../../src/nn/backend.js';
import { RecycledFloats } from '../../src/nn/recycled-floats.js';
import { valuesOf } from '../../src/nn/values.js';

const { tf } = await selectBackend('wasm');

test('an array comes back for reuse once its tensor is disposed of, and is read by the kernels in place', (t) => {
  const pool = new RecycledFloats();
  const values = pool.take(8).fill(3);
  const tensor = pool.tensor(tf, values, [8]);
  t.is(valuesOf(tensor), values);
  tensor.dispose();
  t.is(pool.take(8).buffer, values.buffer);
});

test('an array that dataSync or a backend was handed stays theirs: it is not reused, nor copied for them', (t) => {
  const pool = new RecycledFloats();
  const read = pool.take(8).fill(5);
  const readTensor = pool.tensor(tf, read, [8]);
  const handed = readTensor.dataSync();
  t.is(handed, read);
  readTensor.dispose();
  const moved = pool.take(8).fill(7);
  const movedTensor = pool.tensor(tf, moved, [8]);
  t.deepEqual(Array.from(tf.add(movedTensor, 1).dataSync()), Array(8).fill(8));
  movedTensor.dispose();
  const next = pool.take(8).fill(0);
  t.not(next.buffer, read.buffer);
  t.not(next.buffer, moved.buffer);
  t.deepEqual(Array.from(handed), Array(8).fill(5));
});
