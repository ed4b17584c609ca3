import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { KERNEL_ACTIVATIONS } from '../../src/nn/wasm/activation-kernels.js';
import { pseudoRandom, numericGradient } from '../helpers/numeric.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);

// [2, 3, 4] inputs into 5 units: rows and columns not multiples of the kernels' four lanes.
const x = pseudoRandom(24, 1, 1.5);
const kernel = pseudoRandom(20, 2, 0.8);
const bias = pseudoRandom(5, 3, 0.5);
const lossWeights = tf.tensor3d(pseudoRandom(30, 4, 1), [2, 3, 5]);
const tensors = () => [tf.tensor3d(x, [2, 3, 4]), tf.tensor2d(kernel, [4, 5]), tf.tensor1d(bias)] as const;

for (const activation of KERNEL_ACTIVATIONS) {
  test(`dense with ${activation}: forward equals tf.${activation}(x·K + b)`, (t) => {
    const [xs, k, b] = tensors();
    const actual = nn.dense(xs, k, b, activation).dataSync();
    const expected = tf[activation](tf.add(tf.matMul(tf.reshape(xs, [6, 4]), k), b)).dataSync();
    expected.forEach((value, index) => t.true(Math.abs(actual[index] - value) < 1e-6, `${index}: ${actual[index]} vs ${value}`));
  });

  test(`dense with ${activation}: gradients of x, kernel and bias match finite differences`, (t) => {
    const lossOf = (xs: tfjs.Tensor, k: tfjs.Tensor, b: tfjs.Tensor) =>
      tf.sum(tf.mul(nn.dense(xs as tfjs.Tensor3D, k as tfjs.Tensor2D, b as tfjs.Tensor1D, activation), lossWeights)) as tfjs.Scalar;
    const analytic = tf.grads(lossOf)([...tensors()]).map((gradient) => gradient.dataSync());
    const loss = () => lossOf(...tensors()).dataSync()[0];
    [x, kernel, bias].forEach((values, which) => {
      const numeric = numericGradient(values, loss);
      numeric.forEach((expected, index) => {
        // relu and elu have a kink at 0; no input here sits within a step of it.
        t.true(Math.abs(analytic[which][index] - expected) <= 2e-3 * Math.max(1, Math.abs(expected)), `input ${which}[${index}]: ${analytic[which][index]} vs ${expected}`);
      });
    });
  });
}

test('dense with an activation keeps only what trains: a frozen input gets no gradient work', (t) => {
  const [xs, k, b] = tensors();
  const kernelVariable = tf.variable(k, true, 'dense-test/kernel');
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(nn.dense(xs, kernelVariable as tfjs.Tensor2D, b, 'tanh'), lossWeights)) as tfjs.Scalar, [kernelVariable]);
  t.deepEqual(Object.keys(grads), ['dense-test/kernel']);
  t.deepEqual(grads['dense-test/kernel'].shape, [4, 5]);
  kernelVariable.dispose();
});
