import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { distinctIds } from '../../src/nn/distinct-tokens.js';
import { numericGradient, pseudoRandom } from '../helpers/numeric.js';

const { tf, backend } = await selectBackend('wasm');
const nn = createNnOps(tf);
let counter = 0;
const unique = (name: string) => `${name}-${counter++}`;

test('the wasm backend is active', (t) => {
  t.is(backend, 'wasm');
  t.is(tf.getBackend(), 'wasm');
});

test('maskedSoftmax: exactly 0 on padding, rows sum to 1, stable for large scores', (t) => {
  const scores = tf.tensor2d([
    [1000, 999, 5000, 0],
    [3, -2, 7, 1],
    [-50, 0, 0, 0],
    [4, 4, 4, 4],
  ]);
  const mask = tf.tensor2d([
    [1, 1, 0, 0],
    [1, 1, 1, 1],
    [1, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  const p = nn.maskedSoftmax(scores, mask).arraySync();
  // A padded position with a huge score gets nothing, and real ones keep their ratio e^1.
  t.deepEqual([p[0][2], p[0][3]], [0, 0]);
  t.true(Math.abs(p[0][0] / p[0][1] - Math.E) < 1e-4);
  t.true(Math.abs(p[1].reduce((a, b) => a + b) - 1) < 1e-6);
  t.deepEqual(p[2], [1, 0, 0, 0]);
  t.deepEqual(p[3], [0, 0, 0, 0]);
  const expected = [3, -2, 7, 1].map((s) => Math.exp(s - 7));
  const total = expected.reduce((a, b) => a + b);
  p[1].forEach((value, i) => t.true(Math.abs(value - expected[i] / total) < 1e-6));
});

function assertClose(t: import('ava').ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number) {
  for (let i = 0; i < expected.length; i++) {
    t.true(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i])), `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('maskedSoftmax: gradient matches finite differences and is 0 on padding', (t) => {
  const values = Float32Array.from([0.3, -1.2, 2.0, 0.5, 1.1, 0.7, -0.4, 0.9]);
  const mask = tf.tensor2d([[1, 1, 1, 0], [1, 0, 1, 1]]);
  const weights = tf.tensor2d([[1, -2, 3, 4], [0.5, 1, -1, 2]]);
  const loss = (scores: tfjs.Tensor2D) => tf.sum(tf.mul(nn.maskedSoftmax(scores, mask), weights)) as tfjs.Scalar;
  const analytic = tf.grad((scores) => loss(scores as tfjs.Tensor2D))(tf.tensor2d(values, [2, 4])).dataSync();
  const numeric = numericGradient(values, () => loss(tf.tensor2d(values, [2, 4])).dataSync()[0], 1e-3);
  assertClose(t, analytic, numeric, 2e-3);
  t.is(analytic[3], 0);
  t.is(analytic[5], 0);
});

test('weightedSum: Σ_t w_t · v_t by hand', (t) => {
  const weights = tf.tensor2d([[0.25, 0.75, 0]]);
  const values = tf.tensor3d([[[1, 2], [3, 4], [100, 100]]]);
  t.deepEqual(nn.weightedSum(weights, values).arraySync(), [[0.25 + 2.25, 0.5 + 3]]);
});

test('dense: forward by hand and gradients of x, kernel and bias by finite differences', (t) => {
  const x = Float32Array.from([1, 2, -1, 0.5, 0, 3]);
  const kernel = Float32Array.from([0.5, -1, 2, 0.1, 0.3, -0.2]);
  const bias = Float32Array.from([0.1, -0.3]);
  const forward = () =>
    nn.dense(tf.tensor3d(x, [1, 2, 3]), tf.tensor2d(kernel, [3, 2]), tf.tensor1d(bias)) as tfjs.Tensor3D;
  // [1, 2, -1]·K + b = [0.5 + 4 - 0.3 + 0.1, -1 + 0.2 + 0.2 - 0.3]; [0.5, 0, 3]·K + b likewise.
  assertClose(t, forward().dataSync(), [4.3, -0.9, 1.25, -1.4], 1e-6);
  const lossWeights = tf.tensor3d([[[1, -2], [0.5, 3]]]);
  const lossOf = (xs: tfjs.Tensor3D, k: tfjs.Tensor2D, b: tfjs.Tensor1D) => tf.sum(tf.mul(nn.dense(xs, k, b), lossWeights)) as tfjs.Scalar;
  const [dx, dk, db] = tf.grads((xs, k, b) => lossOf(xs as tfjs.Tensor3D, k as tfjs.Tensor2D, b as tfjs.Tensor1D))([
    tf.tensor3d(x, [1, 2, 3]),
    tf.tensor2d(kernel, [3, 2]),
    tf.tensor1d(bias),
  ]);
  const loss = () => forward().mul(lossWeights).sum().dataSync()[0];
  assertClose(t, dx.dataSync(), numericGradient(x, loss), 1e-3);
  assertClose(t, dk.dataSync(), numericGradient(kernel, loss), 1e-3);
  assertClose(t, db.dataSync(), numericGradient(bias, loss), 1e-3);
});

test('gradients flow through ops fed by a frozen embedding lookup (inputs disposed before backward)', (t) => {
  const table = tf.randomNormal([50, 4], 0, 1, 'float32', 3) as tfjs.Tensor2D;
  const ids = tf.tensor2d([[2, 7, 0], [9, 1, 0]], undefined, 'int32');
  const mask = tf.tensor2d([[1, 1, 0], [1, 1, 0]]);
  const weights = {
    kernel: nn.glorot(unique('k'), [4, 12], 1),
    recurrentKernel: nn.glorot(unique('u'), [3, 12], 2),
    bias: nn.zeros(unique('b'), [12]),
  };
  const query = nn.glorot(unique('q'), [3, 1], 4);
  const { grads } = tf.variableGrads(() => {
    const states = nn.lstm(nn.embed(ids, table), mask, weights);
    const scores = tf.squeeze(nn.dense(states, query as tfjs.Tensor2D), [2]) as tfjs.Tensor2D;
    return tf.sum(nn.weightedSum(nn.maskedSoftmax(scores, mask), states)) as tfjs.Scalar;
  });
  t.deepEqual(Object.keys(grads).sort(), [query.name, weights.kernel.name, weights.recurrentKernel.name, weights.bias.name].sort());
  for (const gradient of Object.values(grads)) t.true(gradient.dataSync().some((value) => value !== 0));
});

test('embed: a frozen table gives the rows of tf.gather; a trainable one gets gradients', (t) => {
  const table = tf.randomNormal([30, 5], 0, 1, 'float32', 9) as tfjs.Tensor2D;
  const ids = tf.tensor2d([[3, 0, 29], [1, 1, 4]], undefined, 'int32');
  t.deepEqual(nn.embed(ids, table).arraySync(), tf.gather(table, ids).arraySync());
  const trainable = tf.variable(table, true, unique('table'));
  const { grads } = tf.variableGrads(() => tf.sum(nn.embed(ids, trainable)) as tfjs.Scalar);
  const rowSums = (tf.sum(grads[trainable.name], 1) as tfjs.Tensor1D).arraySync();
  t.is(rowSums[1], 2 * 5);
  t.is(rowSums[2], 0);
});

test('distinctTokens: each id once; weights summed per distinct token, gradients gathered back', (t) => {
  const ids = tf.tensor2d([[3, 0, 3, 11], [5, 3, 0, 0]], undefined, 'int32');
  const tokens = nn.distinctTokens(ids);
  t.deepEqual(tokens.ids.arraySync(), [[3, 0, 11, 5]]);
  const weights = tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.125, 0.125]]);
  const sums = tokens.sumByToken(weights).arraySync();
  const expected = [[0.4, 0.2, 0.4, 0], [0.25, 0.25, 0, 0.5]];
  t.true(sums.every((row, b) => row.every((value, u) => Math.abs(value - expected[b][u]) < 1e-6)), JSON.stringify(sums));
  const heads = tf.stack([weights, tf.mul(weights, 2)], 1) as tfjs.Tensor3D;
  t.deepEqual(tokens.sumByToken(heads).shape, [2, 2, 4]);
  const scale = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
  const gradient = tf.grad((w) => tf.sum(tf.mul(tokens.sumByToken(w as tfjs.Tensor2D), scale)))(weights).arraySync();
  t.deepEqual(gradient, [[1, 2, 1, 3], [8, 5, 6, 6]]);
});

test('distinctIds: first-sight order and slots, call after call, whatever the ids’ range', (t) => {
  const reference = (ids: Int32Array) => {
    const distinct = [...new Set(ids)];
    return { distinct, slots: Array.from(ids, (id) => distinct.indexOf(id)) };
  };
  for (const ids of [[5, 1, 5, 0, 9, 1], [2, 2, 2], [70_000, 3, 70_000, 12], [5, 1, 5, 0], [-4, 7, -4, 0, 7], [1]]) {
    const { distinct, slots } = distinctIds(Int32Array.from(ids));
    t.deepEqual({ distinct: Array.from(distinct), slots: Array.from(slots) }, reference(Int32Array.from(ids)), `ids ${ids}`);
  }
});

test('tokenRowCache: rows computed once per token while the weights are unchanged, afresh after an assign or under a tape', (t) => {
  const weight = tf.variable(tf.tensor1d([2]), true, unique('scale'));
  const computed: number[][] = [];
  /** Each id's row [id·w, −id·w], recording the ids it computes. */
  const transform = (ids: tfjs.Tensor2D): tfjs.Tensor2D => {
    computed.push(Array.from(ids.dataSync()));
    const column = tf.mul(tf.reshape(tf.cast(ids, 'float32'), [ids.shape[1], 1]), weight);
    return tf.concat([column, tf.neg(column)], 1) as tfjs.Tensor2D;
  };
  const cache = nn.tokenRowCache();
  const rows = (ids: number[][]) => cache.rows(nn.distinctTokens(tf.tensor2d(ids, undefined, 'int32')), [weight], transform).arraySync();
  t.deepEqual(rows([[3, 1, 3]]), [[6, -6], [2, -2]]);
  t.deepEqual(rows([[1, 7], [7, 3]]), [[2, -2], [14, -14], [6, -6]]);
  t.deepEqual(computed, [[3, 1], [7]], 'only the new token is computed');
  weight.assign(tf.tensor1d([10]));
  t.deepEqual(rows([[1, 7]]), [[10, -10], [70, -70]]);
  t.deepEqual(computed.at(-1), [1, 7], 'an assigned weight makes every row computed again');
  const tokens = nn.distinctTokens(tf.tensor2d([[1, 7]], undefined, 'int32'));
  const gradient = tf.grad((w) => {
    weight.assign(w as tfjs.Tensor1D);
    return tf.sum(cache.rows(tokens, [weight], (ids) => tf.mul(tf.reshape(tf.cast(ids, 'float32'), [2, 1]), w) as tfjs.Tensor2D));
  })(tf.tensor1d([10]));
  t.deepEqual(Array.from(gradient.dataSync()), [8], 'under a tape the rows are computed, with their gradients');
});

/** Both poolings of `weights` over per-token `values`, and their gradients for a loss Σ dy·pooled. */
function poolings(tokens: ReturnType<typeof nn.distinctTokens>, weights: tfjs.Tensor2D | tfjs.Tensor3D, values: tfjs.Tensor2D, dy: tfjs.Tensor) {
  const run = (pool: (w: tfjs.Tensor, v: tfjs.Tensor2D) => tfjs.Tensor) => {
    const pooled = pool(weights, values);
    const grads = tf.grads((w, v) => tf.sum(tf.mul(pool(w, v as tfjs.Tensor2D), dy)))([weights, values]);
    return [pooled, ...grads].map((tensor) => Array.from(tensor.dataSync()));
  };
  const rank3 = weights.rank === 3;
  return {
    slots: run((w, v) => tokens.pool(w as tfjs.Tensor2D, v)),
    // The dense product of the weights summed per token: for heads, [batch, heads, distinct] × [distinct, dim].
    dense: run((w, v) => (rank3 ? tf.matMul(tokens.sumByToken(w as tfjs.Tensor3D), tf.tile(tf.expandDims(v, 0), [w.shape[0], 1, 1]) as tfjs.Tensor3D) : tf.matMul(tokens.sumByToken(w as tfjs.Tensor2D), v))),
  };
}

for (const dim of [8, 6]) {
  test(`distinctTokens.pool equals the weights summed per token times the values, with gradients (dim ${dim}${dim % 4 === 0 ? ', SIMD kernels' : ', plain JS'})`, (t) => {
    const [batch, time, heads] = [3, 7, 2];
    const ids = tf.tensor2d(Int32Array.from({ length: batch * time }, (_, position) => [4, 9, 4, 0, 2, 9, 13][position % time] + (position >= 2 * time ? 1 : 0)), [batch, time], 'int32');
    const tokens = nn.distinctTokens(ids);
    const distinct = tokens.ids.shape[1];
    const values = tf.tensor2d(pseudoRandom(distinct * dim, 5, 1), [distinct, dim]);
    for (const weights of [tf.tensor2d(pseudoRandom(batch * time, 6, 1), [batch, time]), tf.tensor3d(pseudoRandom(batch * heads * time, 7, 1), [batch, heads, time])]) {
      const dy = tf.tensor(pseudoRandom((weights.size / time) * dim, 8, 1), [...weights.shape.slice(0, -1), dim]);
      const { slots, dense } = poolings(tokens, weights, values, dy);
      t.deepEqual(tokens.pool(weights as tfjs.Tensor2D, values).shape, [...weights.shape.slice(0, -1), dim]);
      slots.forEach((result, index) => t.true(result.every((value, k) => Math.abs(value - dense[index][k]) < 1e-5), `output ${index} of rank ${weights.rank}: ${result.slice(0, 4)} against ${dense[index].slice(0, 4)}`));
    }
  });
}

test('glorot: seeded, within ±√(6/(in+out)); zeros are zeros', (t) => {
  const a = nn.glorot(unique('g'), [20, 30], 42).dataSync();
  const b = nn.glorot(unique('g'), [20, 30], 42).dataSync();
  const c = nn.glorot(unique('g'), [20, 30], 43).dataSync();
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
  const limit = Math.sqrt(6 / 50);
  t.true(a.every((value) => Math.abs(value) <= limit));
  t.true(nn.zeros(unique('z'), [3, 2]).dataSync().every((value) => value === 0));
});

test('dropout: identity at rate 0; masks reproducible per seed and call, different across calls', (t) => {
  const x = tf.ones([200]);
  t.is(nn.dropout(x, 0, 1), x);
  const first = createNnOps(tf);
  const second = createNnOps(tf);
  const a1 = first.dropout(x, 0.5, 7).dataSync();
  const a2 = first.dropout(x, 0.5, 7).dataSync();
  const b1 = second.dropout(x, 0.5, 7).dataSync();
  t.deepEqual(a1, b1);
  t.notDeepEqual(a1, a2);
  // Inverted dropout: kept units are scaled by 1/(1−rate).
  t.true(a1.every((value) => value === 0 || value === 2));
});

test('weightedSum: gradients of weights and values match finite differences', (t) => {
  const weights = Float32Array.from([0.2, 0.5, 0.3, 0, 0.6, 0.4]);
  const values = Float32Array.from([1, -2, 0.5, 3, -1, 2, 0.7, 0.1, -0.4, 1.5, 2.2, -0.3]);
  const lossWeights = tf.tensor2d([[1, -2], [0.5, 3]]);
  const loss = (w: tfjs.Tensor2D, v: tfjs.Tensor3D) => tf.sum(tf.mul(nn.weightedSum(w, v), lossWeights)) as tfjs.Scalar;
  const [dw, dv] = tf.grads((w, v) => loss(w as tfjs.Tensor2D, v as tfjs.Tensor3D))([tf.tensor2d(weights, [2, 3]), tf.tensor3d(values, [2, 3, 2])]);
  const numeric = () => loss(tf.tensor2d(weights, [2, 3]), tf.tensor3d(values, [2, 3, 2])).dataSync()[0];
  assertClose(t, dw.dataSync(), numericGradient(weights, numeric), 1e-3);
  assertClose(t, dv.dataSync(), numericGradient(values, numeric), 1e-3);
});

for (const [label, queryShape] of [['one query for all reviews', [3]], ['a query per review', [2, 3]]] as const) {
  test(`tokenScores with ${label}: forward by hand, gradients by finite differences`, (t) => {
    const h = Float32Array.from([1, 2, -1, 0.5, 0, 3, -2, 1, 1, 0.3, -0.7, 2]);
    const query = Float32Array.from([0.5, -1, 2, 0.1, 0.3, -0.2].slice(0, queryShape.length === 1 ? 3 : 6));
    const queryTensor = () => (queryShape.length === 1 ? tf.tensor1d(query) : tf.tensor2d(query, [2, 3]));
    const scores = nn.tokenScores(tf.tensor3d(h, [2, 2, 3]), queryTensor()).dataSync();
    const queryRow = (row: number) => (queryShape.length === 1 ? 0 : 3 * row);
    const expected = [0, 1, 2, 3].map((position) => {
      const q = queryRow(Math.floor(position / 2));
      return h[3 * position] * query[q] + h[3 * position + 1] * query[q + 1] + h[3 * position + 2] * query[q + 2];
    });
    assertClose(t, scores, expected, 1e-6);
    const lossWeights = tf.tensor2d([[1, -2], [0.5, 3]]);
    const loss = (hs: tfjs.Tensor3D, q: tfjs.Tensor1D | tfjs.Tensor2D) => tf.sum(tf.mul(nn.tokenScores(hs, q), lossWeights)) as tfjs.Scalar;
    const [dh, dq] = tf.grads((hs, q) => loss(hs as tfjs.Tensor3D, q as tfjs.Tensor2D))([tf.tensor3d(h, [2, 2, 3]), queryTensor()]);
    const numeric = () => loss(tf.tensor3d(h, [2, 2, 3]), queryTensor()).dataSync()[0];
    assertClose(t, dh.dataSync(), numericGradient(h, numeric), 1e-3);
    assertClose(t, dq.dataSync(), numericGradient(query, numeric), 1e-3);
    t.deepEqual(dq.shape, [...queryShape]);
  });
}
