/**
 * The loss and the clipping computed on typed arrays equal their tfjs compositions: values and
 * gradients, for odd batches, one row, three classes and extreme logits.
 */
import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { clipByGlobalNorm, crossEntropy } from '../../src/train/loss.js';

const composedCrossEntropy = (tf: typeof tfjs, logits: tfjs.Tensor2D, labels: tfjs.Tensor1D): tfjs.Scalar =>
  tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, logits.shape[1]), tf.logSoftmax(logits)), 1))) as tfjs.Scalar;

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): boolean =>
  actual.length === expected.length && Array.from(actual).every((value, index) => Math.abs(value - expected[index]) <= tolerance * Math.max(1, Math.abs(expected[index])));

const CASES: readonly { name: string; batch: number; classes: number; spread: number }[] = [
  { name: 'an odd batch of two classes', batch: 7, classes: 2, spread: 3 },
  { name: 'one row', batch: 1, classes: 2, spread: 3 },
  { name: 'three classes', batch: 5, classes: 3, spread: 3 },
  { name: 'logits far apart', batch: 4, classes: 2, spread: 80 },
];

for (const { name, batch, classes, spread } of CASES) {
  test.serial(`cross-entropy and its gradient equal the tfjs composition: ${name}`, async (t) => {
    const { tf } = await selectBackend('wasm');
    const logits = tf.variable(tf.mul(tf.randomUniform([batch, classes], -1, 1, 'float32', batch * classes), spread) as tfjs.Tensor2D);
    const labels = tf.tensor1d(Array.from({ length: batch }, (_, row) => (row * 5 + 1) % classes), 'int32');
    const [fused, composed] = [crossEntropy, composedCrossEntropy].map((loss) => {
      const { value, grads } = tf.variableGrads(() => loss(tf, logits, labels), [logits]);
      return { value: value.dataSync(), gradient: grads[logits.name].dataSync() };
    });
    t.true(close(fused.value, composed.value), `loss ${fused.value[0]} against ${composed.value[0]}`);
    t.true(close(fused.gradient, composed.gradient), `gradient ${fused.gradient.join(',')} against ${composed.gradient.join(',')}`);
    t.true(Array.from(composed.gradient).some((value) => Math.abs(value) > 1e-3));
    tf.dispose([logits, labels]);
  });
}

const composedClip = (tf: typeof tfjs, gradients: tfjs.NamedTensorMap, maxNorm: number): tfjs.NamedTensorMap => {
  const norm = tf.sqrt(tf.addN(Object.values(gradients).map((gradient) => tf.sum(tf.square(gradient)))));
  const scale = tf.minimum(tf.scalar(1), tf.div(maxNorm, tf.maximum(norm, 1e-12)));
  return Object.fromEntries(Object.entries(gradients).map(([name, gradient]) => [name, tf.mul(gradient, scale)]));
};

for (const maxNorm of [0.5, 3, 100]) {
  test.serial(`clipping to a global norm of ${maxNorm} equals the tfjs composition`, async (t) => {
    const { tf } = await selectBackend('wasm');
    // Global norm √(1 + 4 + 4 + 0 + 9 + 16) = √34 ≈ 5.83: clipped at 0.5 and 3, not at 100.
    const gradients = { a: tf.tensor2d([[1, -2], [2, 0]]), b: tf.tensor1d([3, -4]) };
    const clipped = clipByGlobalNorm(tf, gradients, maxNorm);
    const expected = composedClip(tf, gradients, maxNorm);
    for (const key of Object.keys(gradients)) t.true(close(clipped[key].dataSync(), expected[key].dataSync()), key);
    tf.dispose([...Object.values(gradients), ...Object.values(clipped), ...Object.values(expected)]);
  });
}
