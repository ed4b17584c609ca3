/** The training objective: softmax cross-entropy plus the regularisers' penalties. */
import type * as tfjs from '@tensorflow/tfjs';
import type { ForwardOutput, Model, Regularizer, Tf } from '../plugin-api.js';
import { runCustomOp } from '../nn/custom-op.js';
import { valuesOf } from '../nn/values.js';

/**
 * Mean cross-entropy of `logits` [batch, classes] against integer `labels` [batch], as one op on
 * typed arrays: the tfjs composition (one-hot, log-softmax, product, sums) runs ~15 wasm kernels
 * forward and backward, each costing more than the whole loss over a batch of 64.
 */
export function crossEntropy(tf: Tf, logits: tfjs.Tensor2D, labels: tfjs.Tensor1D): tfjs.Scalar {
  const [batch, classes] = logits.shape;
  return runCustomOp(tf, { logits, labels }, () => {
    const values = valuesOf(logits);
    const targets = labels.dataSync();
    const probabilities = new Float64Array(batch * classes);
    let total = 0;
    for (let row = 0; row < batch; row++) {
      total += softmaxCrossEntropy(values.subarray(row * classes, (row + 1) * classes), targets[row], probabilities.subarray(row * classes, (row + 1) * classes));
    }
    const gradient = (dy: tfjs.Tensor) => ({
      logits: () => tf.tensor2d(crossEntropyGradient(probabilities, targets, valuesOf(dy)[0] / batch, classes), [batch, classes]),
      labels: () => tf.zerosLike(labels),
    });
    return { value: tf.scalar(total / batch), gradient };
  });
}

/**
 * Writes softmax(`logits`) (one row) into `probabilities` and returns −log of the `label`'s
 * probability (0 for a label outside the classes, as a one-hot of it would give), in float64.
 */
export function softmaxCrossEntropy(logits: Float32Array, label: number, probabilities: Float32Array | Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const logit of logits) max = Math.max(max, logit);
  let sum = 0;
  for (const logit of logits) sum += Math.exp(logit - max);
  const logSum = max + Math.log(sum);
  for (let k = 0; k < logits.length; k++) probabilities[k] = Math.exp(logits[k] - logSum);
  return label >= 0 && label < logits.length ? logSum - logits[label] : 0;
}

/** d loss / d logits = scale·(softmax − one-hot(label)), row by row. */
function crossEntropyGradient(probabilities: Float64Array, labels: ArrayLike<number>, scale: number, classes: number): Float32Array {
  const gradient = new Float32Array(probabilities.length);
  for (let k = 0; k < probabilities.length; k++) gradient[k] = scale * probabilities[k];
  for (let row = 0; row < labels.length; row++) gradient[row * classes + labels[row]] -= scale;
  return gradient;
}

export function totalLoss(
  tf: Tf,
  output: ForwardOutput,
  labels: tfjs.Tensor1D,
  regularizers: readonly Regularizer[],
  variables: readonly tfjs.Variable[],
): { loss: tfjs.Scalar; crossEntropy: tfjs.Scalar; penalties: tfjs.Scalar[] } {
  const dataLoss = crossEntropy(tf, output.logits, labels);
  const penalties = regularizers.map((regularizer) => regularizer.penalty(output, variables));
  return { loss: penalties.length ? (tf.addN([dataLoss, ...penalties]) as tfjs.Scalar) : dataLoss, crossEntropy: dataLoss, penalties };
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (0: unchanged). The norm is summed
 * on the gradients' values, and gradients within it are returned as they are: a scale of 1 would
 * cost two wasm kernels per variable for nothing.
 */
export function clipByGlobalNorm(tf: Tf, gradients: tfjs.NamedTensorMap, maxNorm: number): tfjs.NamedTensorMap {
  if (maxNorm <= 0) return gradients;
  let squares = 0;
  for (const gradient of Object.values(gradients)) {
    const values = valuesOf(gradient);
    for (let k = 0; k < values.length; k++) squares += values[k] * values[k];
  }
  const norm = Math.sqrt(squares);
  if (!(norm > maxNorm)) return gradients;
  const scale = tf.scalar(maxNorm / norm);
  return Object.fromEntries(Object.entries(gradients).map(([name, gradient]) => [name, tf.mul(gradient, scale)]));
}

/**
 * One training step's loss, the gradients of every model variable, the logits and each
 * regulariser's penalty: all owned by the caller's scope (a surrounding `tf.tidy` disposes them),
 * none kept beyond it.
 */
export function lossAndGradients(
  tf: Tf,
  model: Model,
  regularizers: readonly Regularizer[],
  batch: { readonly ids: tfjs.Tensor2D; readonly mask: tfjs.Tensor2D; readonly labels: tfjs.Tensor1D },
): { loss: tfjs.Scalar; gradients: tfjs.NamedTensorMap; logits: tfjs.Tensor2D; penalties: tfjs.Scalar[] } {
  let kept: tfjs.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const output = model.forward(batch.ids, batch.mask, true);
    const { loss, penalties } = totalLoss(tf, output, batch.labels, regularizers, model.variables);
    kept = [output.logits, ...penalties].map((tensor) => tf.keep(tensor));
    return loss;
  }, [...model.variables]);
  // The gradient tape's scope would dispose the logits and penalties, hence `keep` above; clones
  // (same data) hand them to the caller's scope, and the kept tensors go.
  const [logits, ...penalties] = kept.map((tensor) => tf.clone(tensor));
  tf.dispose(kept);
  return { loss: value, gradients: grads, logits: logits as tfjs.Tensor2D, penalties: penalties as tfjs.Scalar[] };
}
