/**
 * Attention primitives. The softmax runs on typed arrays: a [batch, time] row-wise loop costs a
 * few tens of µs, where the same masked softmax built from tfjs ops takes half a dozen kernel
 * launches of 65–270 µs each on wasm, forward and backward.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';

/** scores [batch, time], mask [batch, time] → softmax over real tokens, exactly 0 on padding. */
export function maskedSoftmax(tf: Tf, scores: tfjs.Tensor2D, mask: tfjs.Tensor2D): tfjs.Tensor2D {
  const [batch, time] = scores.shape;
  return runCustomOp(tf, { scores, mask }, () => {
    const probabilities = softmaxRows(scores.dataSync(), mask.dataSync(), batch, time);
    const gradient = (dy: tfjs.Tensor) => ({
      scores: () => tf.tensor2d(softmaxBackward(probabilities, dy.dataSync(), batch, time), [batch, time]),
      mask: () => tf.zeros([batch, time]),
    });
    return { value: tf.tensor2d(probabilities, [batch, time]), gradient };
  });
}

/** Row-wise softmax over the positions where mask > 0; an all-padding row stays all 0. */
function softmaxRows(scores: ArrayLike<number>, mask: ArrayLike<number>, batch: number, time: number): Float32Array {
  const probabilities = new Float32Array(batch * time);
  for (let row = 0; row < batch; row++) {
    const start = row * time;
    let max = -Infinity;
    for (let t = start; t < start + time; t++) if (mask[t] > 0 && scores[t] > max) max = scores[t];
    let total = 0;
    for (let t = start; t < start + time; t++) {
      if (mask[t] > 0) {
        probabilities[t] = Math.exp(scores[t] - max);
        total += probabilities[t];
      }
    }
    for (let t = start; t < start + time && total > 0; t++) probabilities[t] /= total;
  }
  return probabilities;
}

/** d scores = p ⊙ (dp − Σ p·dp), row by row; zero wherever p is (padding). */
function softmaxBackward(probabilities: Float32Array, dy: ArrayLike<number>, batch: number, time: number): Float32Array {
  const grad = new Float32Array(batch * time);
  for (let row = 0; row < batch; row++) {
    const start = row * time;
    let dot = 0;
    for (let t = start; t < start + time; t++) dot += probabilities[t] * dy[t];
    for (let t = start; t < start + time; t++) grad[t] = probabilities[t] * (dy[t] - dot);
  }
  return grad;
}

/** weights [batch, time], values [batch, time, dim] → Σ_t weights·values: [batch, dim]. */
export function weightedSum(tf: Tf, weights: tfjs.Tensor2D, values: tfjs.Tensor3D): tfjs.Tensor2D {
  return tf.sum(tf.mul(tf.expandDims(weights, 2), values), 1);
}
