/** The entropy regulariser computed on typed arrays equals its tfjs formula, value and gradient. */
import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import entropy from '../../plugins/regularizer/entropy.js';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import type { ForwardOutput, Regularizer } from '../../src/plugin-api.js';

const composed = (tf: typeof tfjs, attention: tfjs.Tensor2D, weight: number): tfjs.Scalar =>
  tf.mul(tf.neg(tf.mean(tf.sum(tf.mul(attention, tf.log(tf.add(attention, 1e-12))), 1))), weight) as tfjs.Scalar;

const CASES: readonly { name: string; rows: number[][] }[] = [
  { name: 'an odd batch with padding', rows: [[0.5, 0.3, 0.2, 0], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]] },
  { name: 'one row of length 1', rows: [[1]] },
  { name: 'a fully padded row', rows: [[0, 0, 0], [0.9, 0.1, 0]] },
];

for (const { name, rows } of CASES) {
  test.serial(`the entropy penalty and its gradient equal the tfjs formula: ${name}`, async (t) => {
    const { tf } = await selectBackend('wasm');
    const regularizer = entropy.create({ weight: 0.05 }, { tf, nn: createNnOps(tf) } as never) as Regularizer;
    const attention = tf.variable(tf.tensor2d(rows), true);
    const [fused, reference] = [(a: tfjs.Tensor2D) => regularizer.penalty({ attention: a } as ForwardOutput, []), (a: tfjs.Tensor2D) => composed(tf, a, 0.05)].map((penalty) => {
      const { value, grads } = tf.variableGrads(() => penalty(attention), [attention]);
      return [...value.dataSync(), ...grads[attention.name].dataSync()];
    });
    fused.forEach((value, index) => t.true(Math.abs(value - reference[index]) <= 1e-5 * Math.max(1, Math.abs(reference[index])), `${index}: ${value} against ${reference[index]}`));
    attention.dispose();
  });
}
