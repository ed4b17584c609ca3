import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { lazyTensor } from '../../src/nn/lazy-tensor.js';
import { createNnOps } from '../../src/nn/ops.js';
import { mulberry32 } from '../../src/data/random.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);

/** The backend tfjs's engine holds `tensor`'s data on: the lazy one until something moves it. */
const holder = (tensor: tfjs.Tensor): unknown => (tf.engine() as unknown as { state: { tensorInfo: WeakMap<object, { backend: unknown }> } }).state.tensorInfo.get(tensor.dataId)?.backend;
const onWasm = (tensor: tfjs.Tensor): boolean => holder(tensor) === tf.engine().findBackend('wasm');

function counted(values: Float32Array): { compute: () => Float32Array; calls: () => number } {
  let calls = 0;
  return {
    compute: () => {
      calls++;
      return values.slice();
    },
    calls: () => calls,
  };
}

test('a lazy tensor computes its values only when read, and reads like an eager one', (t) => {
  const values = Float32Array.from({ length: 24 }, (_, index) => index / 3 - 2);
  const source = counted(values);
  const x = lazyTensor<tfjs.Rank.R3>(tf, [2, 3, 4], source.compute);
  t.deepEqual(x.shape, [2, 3, 4]);
  t.is(source.calls(), 0);
  t.deepEqual(Array.from(x.dataSync()), Array.from(values));
  t.is(source.calls(), 1);
  x.dispose();
});

test('a tfjs op moves a lazy tensor to wasm once, and gives the eager result', (t) => {
  const values = Float32Array.from({ length: 12 }, (_, index) => Math.sin(index));
  const source = counted(values);
  const x = lazyTensor<tfjs.Rank.R2>(tf, [3, 4], source.compute);
  const eager = tf.tensor2d(values, [3, 4]);
  t.false(onWasm(x));
  t.deepEqual(tf.sum(tf.mul(x, 2), 1).arraySync(), tf.sum(tf.mul(eager, 2), 1).arraySync());
  t.true(onWasm(x));
  t.deepEqual(tf.reshape(x, [12]).arraySync(), Array.from(eager.dataSync()));
  t.is(source.calls(), 1);
  tf.dispose([x, eager]);
});

test('disposing a lazy tensor frees it, read or not, and reading it afterwards is an error', (t) => {
  const before = tf.memory().numTensors;
  const unread = lazyTensor<tfjs.Rank.R1>(tf, [4], () => new Float32Array(4));
  const moved = lazyTensor<tfjs.Rank.R1>(tf, [4], () => Float32Array.of(1, 2, 3, 4));
  tf.tidy(() => tf.add(moved, 1).dataSync());
  t.is(tf.memory().numTensors, before + 2);
  tf.dispose([unread, moved]);
  t.is(tf.memory().numTensors, before);
  t.throws(() => unread.dataSync(), { message: /disposed/ });
});

test('a lazy tensor kept out of tidy survives it; one made inside is disposed with it', (t) => {
  const before = tf.memory().numTensors;
  const kept = tf.tidy(() => {
    lazyTensor<tfjs.Rank.R1>(tf, [2], () => Float32Array.of(5, 6));
    return lazyTensor<tfjs.Rank.R1>(tf, [2], () => Float32Array.of(7, 8));
  });
  t.is(tf.memory().numTensors, before + 1);
  t.deepEqual(Array.from(kept.dataSync()), [7, 8]);
  kept.dispose();
  t.is(tf.memory().numTensors, before);
});

test('a frozen lookup stays unmaterialised through the attention ops, and equals tf.gather when read', (t) => {
  const random = mulberry32(3);
  const [vocab, dim, batch, time] = [30, 8, 3, 5];
  const table = tf.tensor2d(Float32Array.from({ length: vocab * dim }, () => random() - 0.5), [vocab, dim]);
  const ids = tf.tensor2d(Int32Array.from({ length: batch * time }, () => Math.floor(random() * vocab)), [batch, time], 'int32');
  const mask = tf.tensor2d(Float32Array.from({ length: batch * time }, (_, position) => (position % time < 4 ? 1 : 0)), [batch, time]);
  const query = tf.tensor1d(Float32Array.from({ length: dim }, () => random() - 0.5));
  const x = nn.embed(ids, table);
  const weights = nn.attend(x, query, mask);
  const pooled = nn.weightedSum(weights, x);
  const reference = tf.reshape(tf.gather(table, ids), [batch, time, dim]) as tfjs.Tensor3D;
  const expected = nn.weightedSum(nn.attend(reference, query, mask), reference);
  t.false(onWasm(x), 'the kernels read the rows from their arena, not the tensor');
  t.deepEqual(pooled.arraySync(), expected.arraySync());
  t.deepEqual(x.arraySync(), reference.arraySync());
  tf.dispose([table, ids, mask, query, x, weights, pooled, reference, expected]);
});
