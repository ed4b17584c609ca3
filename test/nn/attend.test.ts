import test, { type ExecutionContext } from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { mulberry32 } from '../../src/data/random.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);

interface Case {
  readonly batch: number;
  readonly time: number;
  readonly dim: number;
  /** Real tokens per review; the rest is padding. */
  readonly lengths: readonly number[];
  readonly temperature: number;
  /** One query per review ([batch, dim]) instead of one for all ([dim]). */
  readonly perReview?: boolean;
}

function inputs({ batch, time, dim, lengths, perReview }: Case, seed: number) {
  const random = mulberry32(seed);
  const uniform = (count: number) => Float32Array.from({ length: count }, () => 2 * random() - 1);
  const mask = tf.tensor2d(Float32Array.from({ length: batch * time }, (_, p) => (p % time < lengths[Math.floor(p / time)] ? 1 : 0)), [batch, time]);
  return {
    h: tf.tensor3d(uniform(batch * time * dim), [batch, time, dim]),
    query: perReview === true ? tf.tensor2d(uniform(batch * dim), [batch, dim]) : tf.tensor1d(uniform(dim)),
    mask,
    // Gradients reach both the weights (as an entropy penalty's would) and the pooled rows.
    weightsGradient: tf.tensor2d(uniform(batch * time), [batch, time]),
    pooledGradient: tf.tensor2d(uniform(batch * dim), [batch, dim]),
  };
}

type Attention = (h: tfjs.Tensor3D, query: tfjs.Tensor1D | tfjs.Tensor2D, mask: tfjs.Tensor2D) => tfjs.Tensor2D;

const fused: Attention = (h, query, mask) => nn.attend(h, query, mask);
const composed: Attention = (h, query, mask) => nn.maskedSoftmax(nn.tokenScores(h, query), mask);

/** Weights, pooled rows and the gradients of a loss Σ dw·weights + Σ dy·pooled with respect to the query and h. */
function run(attention: Attention, spec: Case, seed: number) {
  return tf.tidy(() => {
    const { h, query, mask, weightsGradient, pooledGradient } = inputs(spec, seed);
    const forward = (x: tfjs.Tensor3D, q: tfjs.Tensor1D | tfjs.Tensor2D) => {
      const scaled = tf.div(q, spec.temperature) as typeof q;
      const weights = attention(x, scaled, mask);
      return { weights, pooled: nn.weightedSum(weights, x) };
    };
    const { weights, pooled } = forward(h, query);
    const loss = (x: tfjs.Tensor, q: tfjs.Tensor) => {
      const out = forward(x as tfjs.Tensor3D, q as tfjs.Tensor1D);
      return tf.add(tf.sum(tf.mul(out.weights, weightsGradient)), tf.sum(tf.mul(out.pooled, pooledGradient))) as tfjs.Scalar;
    };
    const [dh, dq] = tf.grads(loss)([h, query]);
    const dqOnly = tf.grad((q: tfjs.Tensor) => loss(h, q))(query);
    return { weights: weights.dataSync(), pooled: pooled.dataSync(), dh: dh.dataSync(), dq: dq.dataSync(), dqOnly: dqOnly.dataSync() };
  });
}

function assertClose(t: ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  t.is(actual.length, expected.length, what);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  t.true(worst <= 1e-5, `${what}: off by ${worst}`);
}

const cases: Record<string, Case> = {
  'odd batch, padding, temperature 0.5': { batch: 5, time: 7, dim: 8, lengths: [7, 3, 1, 6, 0], temperature: 0.5 },
  'one review': { batch: 1, time: 9, dim: 12, lengths: [4], temperature: 2 },
  'rows of length 1': { batch: 3, time: 1, dim: 4, lengths: [1, 1, 0], temperature: 1 },
  'dim not a multiple of 4 (no SIMD kernel)': { batch: 3, time: 5, dim: 6, lengths: [5, 2, 4], temperature: 0.7 },
  'one query per review': { batch: 3, time: 6, dim: 8, lengths: [6, 1, 3], temperature: 1.5, perReview: true },
};

for (const [name, spec] of Object.entries(cases)) {
  test(`attend equals maskedSoftmax(tokenScores) then weightedSum, forward and backward: ${name}`, (t) => {
    const expected = run(composed, spec, 11);
    const actual = run(fused, spec, 11);
    for (const key of ['weights', 'pooled', 'dh', 'dq', 'dqOnly'] as const) assertClose(t, actual[key], expected[key], key);
  });
}

test('attend: exactly 0 on padding; weightedSum of other values than its rows pools those values', (t) => {
  const spec = cases['odd batch, padding, temperature 0.5'];
  tf.tidy(() => {
    const { h, query, mask } = inputs(spec, 3);
    const weights = nn.attend(h, query, mask);
    const p = weights.dataSync();
    const m = mask.dataSync();
    for (let i = 0; i < p.length; i++) if (m[i] === 0) t.is(p[i], 0);
    const other = tf.mul(h, 2) as tfjs.Tensor3D;
    assertClose(t, nn.weightedSum(weights, other).dataSync(), tf.mul(nn.weightedSum(weights, h), 2).dataSync(), 'pooled of 2h');
  });
});
