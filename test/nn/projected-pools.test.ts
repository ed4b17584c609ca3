import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { whileScoring } from '../../src/nn/scoring-pass.js';
import { pseudoRandom } from '../helpers/numeric.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);
const [vocab, dim, units] = [30, 12, 2];
const [batch, time] = [3, 6];
const table = tf.tensor2d(pseudoRandom(vocab * dim, 5, 1), [vocab, dim]);
const ids = tf.tensor2d(Int32Array.from({ length: batch * time }, (_, position) => (position * 7 + 2) % vocab), [batch, time], 'int32');
const mask = tf.tensor2d(Float32Array.from({ length: batch * time }, (_, position) => (position % time < 4 + (position % 2) ? 1 : 0)), [batch, time]);
const query = tf.tensor1d(pseudoRandom(dim, 6, 1));
const bias = tf.tensor1d([0.25, -0.5]);
const kernels = [tf.tensor2d(pseudoRandom(dim * units, 7, 1), [dim, units]), tf.tensor2d(pseudoRandom(dim * units, 8, 1), [dim, units])];

/** act(Σ_t w·x_t · kernel + bias) in float64, from the table's rows and the pool's weights. */
function reference(weights: Float32Array, kernel: tfjs.Tensor2D, activation: (value: number) => number): number[] {
  const [rows, k, b, idValues] = [table.dataSync(), kernel.dataSync(), bias.dataSync(), ids.dataSync()];
  return Array.from({ length: batch * units }, (_, index) => {
    const [row, unit] = [Math.floor(index / units), index % units];
    let sum = b[unit];
    for (let t = 0; t < time; t++) for (let d = 0; d < dim; d++) sum += weights[row * time + t] * rows[idValues[row * time + t] * dim + d] * k[d * units + unit];
    return activation(sum);
  });
}

const closeTo = (t: import('ava').ExecutionContext, actual: ArrayLike<number>, expected: readonly number[], message: string) =>
  Array.from(actual).forEach((value, index) => t.true(Math.abs(value - expected[index]) <= 1e-5, `${message} [${index}]: ${value} against ${expected[index]}`));

test('while scoring, an affine layer after a pooled frozen lookup gives the pooled path’s outputs, kernel after kernel, with its activation', (t) => {
  // The same kernel twice, another, then the first again; and outside a scoring pass.
  for (const [call, kernel] of [kernels[0], kernels[0], kernels[1], kernels[1], kernels[0], kernels[1]].entries()) {
    (call < 5 ? whileScoring : <T>(run: () => T) => run())(() => tf.tidy(() => {
      const h = nn.embed(ids, table);
      const weights = nn.attend(h, query, mask);
      const pooled = nn.weightedSum(weights, h);
      const p = weights.dataSync() as Float32Array;
      closeTo(t, nn.dense(pooled, kernel, bias).dataSync(), reference(p, kernel, (value) => value), 'linear');
      closeTo(t, nn.dense(pooled, kernel, bias, 'tanh').dataSync(), reference(p, kernel, Math.tanh), 'tanh');
    }));
  }
});

test('the pooled vector of a frozen lookup is still there for whatever reads it, and a mean pools the same way', (t) => {
  whileScoring(() => tf.tidy(() => {
    const h = nn.embed(ids, table);
    const uniform = tf.div(mask, tf.sum(mask, 1, true)) as tfjs.Tensor2D;
    const w = uniform.dataSync() as Float32Array;
    const pooled = nn.weightedSum(uniform, h);
    for (let round = 0; round < 3; round++) closeTo(t, nn.dense(pooled, kernels[1], bias).dataSync(), reference(w, kernels[1], (value) => value), `mean, call ${round}`);
    const [rows, idValues] = [table.dataSync(), ids.dataSync()];
    const expected = Array.from({ length: batch * dim }, (_, index) => {
      const [row, d] = [Math.floor(index / dim), index % dim];
      let sum = 0;
      for (let step = 0; step < time; step++) sum += w[row * time + step] * rows[idValues[row * time + step] * dim + d];
      return sum;
    });
    closeTo(t, pooled.dataSync(), expected, 'pooled values');
  }));
});

test('while scoring, an affine layer after value rows kept per word and pooled per distinct token works from the rows, afresh once the weights change', (t) => {
  const scale = tf.variable(tf.scalar(1.5));
  const cache = nn.tokenRowCache();
  const transform = (distinct: tfjs.Tensor2D): tfjs.Tensor2D => tf.mul(tf.reshape(nn.embed(distinct, table), [distinct.shape[1], dim]), scale);
  const uniform = tf.div(mask, tf.sum(mask, 1, true)) as tfjs.Tensor2D;
  const w = uniform.dataSync() as Float32Array;
  // Rows computed, then kept (and projected); a new scale computes them again, then keeps those.
  for (const [round, factor] of [1.5, 1.5, 1.5, -0.75, -0.75, -0.75].entries()) {
    if (round === 3) scale.assign(tf.scalar(factor));
    whileScoring(() => tf.tidy(() => {
      const tokens = nn.distinctTokens(ids);
      const pooled = tokens.pool(uniform, cache.rows(tokens, [scale], transform));
      const expected = reference(w, kernels[0], (value) => value).map((value, index) => factor * (value - bias.dataSync()[index % units]) + bias.dataSync()[index % units]);
      closeTo(t, nn.dense(pooled, kernels[0], bias).dataSync(), expected, `round ${round}`);
    }));
  }
  scale.dispose();
});
