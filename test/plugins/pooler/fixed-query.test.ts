import test from 'ava';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { loadPluginKit } from '../../../src/scaffold/plugin-kit.js';
import { assertClose, maskedSoftmaxByHand } from './hand.js';

const kit = await loadPluginKit('pooler', fileURLToPath(new URL('../../../plugins/pooler/fixed-query.ts', import.meta.url)));

const tokens = [
  [[1, -1, 0.5, 2], [0.5, 2, -1, 0], [-3, 0.25, 1, 1]],
  [[0.2, 0.1, -0.4, 3], [9, 9, 9, 9], [4, -4, 4, -4]],
];
const mask = [[1, 1, 1], [1, 0, 0]];

test('weights are softmax(q·h_i / temperature) over the real tokens, and weightedSum pools them by hand', async (t) => {
  const { tf, nn } = kit;
  const pooler = await kit.build('{ type: fixed-query, temperature: 2 }', { inputDim: 4 });
  const query = Array.from(pooler.variables[0].dataSync());
  const h = tf.tensor3d(tokens);
  const weights = pooler.attend(h, tf.tensor2d(mask), false) as Tensor2D;
  const pooled = nn.weightedSum(weights, h).arraySync();
  const found = weights.arraySync();
  tokens.forEach((review, b) => {
    const scores = review.map((row) => row.reduce((sum, value, k) => sum + value * query[k], 0) / 2);
    const expected = maskedSoftmaxByHand(scores, mask[b]);
    t.is(assertClose(found[b], expected), undefined);
    const pooledByHand = [0, 1, 2, 3].map((k) => review.reduce((sum, row, i) => sum + expected[i] * row[k], 0));
    t.is(assertClose(pooled[b], pooledByHand), undefined);
  });
});

test('a pooler composed from maskedSoftmax(tokenScores(...)) still pools and trains its query', async (t) => {
  const { tf, nn } = kit;
  const h = tf.tensor3d(tokens) as Tensor3D;
  const m = tf.tensor2d(mask);
  const query = tf.tensor1d([0.3, -0.2, 0.1, 0.4]);
  const loss = (fused: boolean) => (x: Tensor) => {
    const q = x as Tensor1D;
    const weights = fused ? nn.attend(h, q, m) : nn.maskedSoftmax(nn.tokenScores(h, q), m);
    return tf.sum(tf.square(nn.weightedSum(weights, h)));
  };
  const composed = tf.grad(loss(false))(query).dataSync();
  const fused = tf.grad(loss(true))(query).dataSync();
  t.true(composed.some((value) => value !== 0));
  t.is(assertClose(Array.from(fused), Array.from(composed), 1e-5), undefined);
});
