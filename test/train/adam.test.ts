/** The adam plugin's typed-array update equals tfjs's Adam step for step. */
import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import adam from '../../plugins/optimizer/adam.js';
import { selectBackend } from '../../src/nn/backend.js';

const PARAMS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Weights after `steps` steps on a quadratic loss, the learning rate lowered half-way as lr_decay does. */
function train(tf: typeof tfjs, optimizer: tfjs.Optimizer, suffix: string, steps: number): number[][] {
  const variables = [tf.variable(tf.tensor2d([[1, -2, 3], [0.5, 0, -1]]), true, `w_${suffix}`), tf.variable(tf.tensor1d([0.25]), true, `b_${suffix}`)];
  for (let step = 0; step < steps; step++) {
    if (step === Math.floor(steps / 2)) (optimizer as tfjs.Optimizer & { learningRate: number }).learningRate /= 2;
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.add(tf.sum(tf.square(tf.sub(variables[0], step * 0.1))), tf.sum(tf.mul(variables[1], 3))) as tfjs.Scalar, variables);
      optimizer.applyGradients(grads);
    });
  }
  const values = variables.map((variable) => Array.from(variable.dataSync()));
  tf.dispose(variables);
  return values;
}

test.serial('the adam plugin trains as tf.train.adam does', async (t) => {
  const { tf } = await selectBackend('wasm');
  const plugin = adam.create(PARAMS, { tf, learningRate: 0.1 } as never) as tfjs.Optimizer;
  const reference = tf.train.adam(0.1, PARAMS.beta1, PARAMS.beta2, PARAMS.epsilon);
  const actual = train(tf, plugin, 'plugin', 9);
  const expected = train(tf, reference, 'reference', 9);
  actual.flat().forEach((value, index) => t.true(Math.abs(value - expected.flat()[index]) < 1e-5, `weight ${index}: ${value} against ${expected.flat()[index]}`));
  t.true(expected.flat().some((value, index) => Math.abs(value - [1, -2, 3, 0.5, 0, -1, 0.25][index]) > 0.1), 'the weights moved');
  plugin.dispose();
  reference.dispose();
});

test.serial('the adam plugin hands its moments over as tfjs names them, and takes them back', async (t) => {
  const { tf } = await selectBackend('wasm');
  const first = adam.create(PARAMS, { tf, learningRate: 0.1 } as never) as tfjs.Optimizer;
  train(tf, first, 'saved', 3);
  const weights = await first.getWeights();
  t.deepEqual(weights.map(({ name }) => name), ['iter', 'w_saved/m', 'b_saved/m', 'w_saved/v', 'b_saved/v']);
  const second = adam.create(PARAMS, { tf, learningRate: 0.1 } as never) as tfjs.Optimizer;
  await second.setWeights(weights);
  const restored = await second.getWeights();
  t.deepEqual(restored.map(({ tensor }) => Array.from(tensor.dataSync())), weights.map(({ tensor }) => Array.from(tensor.dataSync())));
  first.dispose();
  second.dispose();
});
