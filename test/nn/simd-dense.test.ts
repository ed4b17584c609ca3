import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { fitsSimdDense, simdDense } from '../../src/nn/simd-dense.js';
import { KERNEL_ACTIVATIONS, type KernelActivation } from '../../src/nn/wasm/activation-kernels.js';
import { pseudoRandom, numericGradient } from '../helpers/numeric.js';

const { tf } = await selectBackend('wasm');
const ACTIVATIONS: readonly (KernelActivation | 'linear')[] = [...KERNEL_ACTIVATIONS, 'linear'];

/** tfjs's own dense: the reference. */
function referenceDense(x: tfjs.Tensor, kernel: tfjs.Tensor2D, bias: tfjs.Tensor1D, activation: KernelActivation | 'linear'): tfjs.Tensor {
  const [inputs, outputs] = kernel.shape;
  const pre = tf.add(tf.matMul(tf.reshape(x, [-1, inputs]), kernel), bias);
  return tf.reshape(activation === 'linear' ? pre : tf[activation](pre), [...x.shape.slice(0, -1), outputs]);
}

function assertClose(t: { true(condition: boolean, message: string): void }, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string) {
  t.true(actual.length === expected.length, `${label}: ${actual.length} values, expected ${expected.length}`);
  for (let index = 0; index < expected.length; index++) {
    t.true(Math.abs(actual[index] - expected[index]) <= tolerance * Math.max(1, Math.abs(expected[index])), `${label}[${index}]: ${actual[index]} vs ${expected[index]}`);
  }
}

test('fitsSimdDense takes widths that are multiples of 4 only', (t) => {
  t.true(fitsSimdDense(100, 100));
  t.true(fitsSimdDense(4, 12));
  t.false(fitsSimdDense(100, 2));
  t.false(fitsSimdDense(6, 8));
});

// [3, 5, 8] into 12 units: 15 rows (not a multiple of the 4-row block), one 8-wide and one 4-wide column block.
// relu and elu have a kink at 0: with these inputs no pre-activation sits within a difference step of it.
const x = pseudoRandom(120, 51, 1.5);
const kernel = pseudoRandom(96, 2, 0.6);
const bias = pseudoRandom(12, 3, 0.5);
const lossWeights = tf.tensor3d(pseudoRandom(180, 4, 1), [3, 5, 12]);
const tensors = () => [tf.tensor3d(x, [3, 5, 8]), tf.tensor2d(kernel, [8, 12]), tf.tensor1d(bias)] as const;

for (const activation of ACTIVATIONS) {
  test(`simdDense with ${activation}: forward equals tfjs's matMul, bias and activation`, (t) => {
    const [xs, k, b] = tensors();
    assertClose(t, simdDense(tf, xs, k, b, activation).dataSync(), referenceDense(xs, k, b, activation).dataSync(), 1e-5, 'y');
  });

  test(`simdDense with ${activation}: gradients of x, kernel and bias match finite differences`, (t) => {
    const lossOf = (xs: tfjs.Tensor, k: tfjs.Tensor, b: tfjs.Tensor) =>
      tf.sum(tf.mul(simdDense(tf, xs as tfjs.Tensor3D, k as tfjs.Tensor2D, b as tfjs.Tensor1D, activation), lossWeights)) as tfjs.Scalar;
    const analytic = tf.grads(lossOf)([...tensors()]).map((gradient) => gradient.dataSync());
    const loss = () => lossOf(...tensors()).dataSync()[0];
    [x, kernel, bias].forEach((values, which) => assertClose(t, analytic[which], numericGradient(values, loss), 3e-3, `input ${which}`));
  });
}

test('simdDense over many rows (several gradient panels) matches tfjs gradients, with and without a bias', (t) => {
  const [rows, inputs, outputs] = [301, 100, 100];
  const xs = tf.tensor2d(pseudoRandom(rows * inputs, 5, 1), [rows, inputs]);
  const k = tf.tensor2d(pseudoRandom(inputs * outputs, 6, 0.2), [inputs, outputs]);
  const b = tf.tensor1d(pseudoRandom(outputs, 7, 0.3));
  const weights = tf.tensor2d(pseudoRandom(rows * outputs, 8, 1), [rows, outputs]);
  const ours = tf.grads((a: tfjs.Tensor, c: tfjs.Tensor, d: tfjs.Tensor) => tf.sum(tf.mul(simdDense(tf, a, c as tfjs.Tensor2D, d as tfjs.Tensor1D, 'tanh'), weights)))([xs, k, b]);
  const reference = tf.grads((a: tfjs.Tensor, c: tfjs.Tensor, d: tfjs.Tensor) => tf.sum(tf.mul(referenceDense(a, c as tfjs.Tensor2D, d as tfjs.Tensor1D, 'tanh'), weights)))([xs, k, b]);
  ours.forEach((gradient, which) => assertClose(t, gradient.dataSync(), reference[which].dataSync(), 1e-4, `input ${which}`));
  const unbiased = tf.grads((a: tfjs.Tensor, c: tfjs.Tensor) => tf.sum(tf.mul(simdDense(tf, a, c as tfjs.Tensor2D, undefined, 'linear'), weights)))([xs, k]);
  const zeroBias = tf.zeros([outputs]) as tfjs.Tensor1D;
  const unbiasedReference = tf.grads((a: tfjs.Tensor, c: tfjs.Tensor) => tf.sum(tf.mul(referenceDense(a, c as tfjs.Tensor2D, zeroBias, 'linear'), weights)))([xs, k]);
  unbiased.forEach((gradient, which) => assertClose(t, gradient.dataSync(), unbiasedReference[which].dataSync(), 1e-4, `unbiased input ${which}`));
});

test('simdDense layers of one shape and different row counts do not see each other’s buffers', (t) => {
  const k = tf.tensor2d(pseudoRandom(64, 9, 0.5), [8, 8]);
  const b = tf.tensor1d(pseudoRandom(8, 10, 0.5));
  const long = tf.tensor2d(pseudoRandom(40 * 8, 11, 1), [40, 8]);
  const short = tf.tensor2d(pseudoRandom(6 * 8, 12, 1), [6, 8]);
  const lossOf = (a: tfjs.Tensor, c: tfjs.Tensor) => tf.add(tf.sum(tf.square(simdDense(tf, a, c as tfjs.Tensor2D, b, 'sigmoid'))), tf.sum(simdDense(tf, short, c as tfjs.Tensor2D, b, 'relu')));
  const referenceLoss = (a: tfjs.Tensor, c: tfjs.Tensor) => tf.add(tf.sum(tf.square(referenceDense(a, c as tfjs.Tensor2D, b, 'sigmoid'))), tf.sum(referenceDense(short, c as tfjs.Tensor2D, b, 'relu')));
  const ours = tf.grads(lossOf)([long, k]);
  const reference = tf.grads(referenceLoss)([long, k]);
  ours.forEach((gradient, which) => assertClose(t, gradient.dataSync(), reference[which].dataSync(), 1e-4, `input ${which}`));
});

test('simdDense gives the same numbers on every run', (t) => {
  const run = () => {
    const [xs, k, b] = tensors();
    return tf.grads((c: tfjs.Tensor) => tf.sum(tf.mul(simdDense(tf, xs, c as tfjs.Tensor2D, b, 'tanh'), lossWeights)))([k])[0].dataSync();
  };
  t.deepEqual(run(), run());
});
