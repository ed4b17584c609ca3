/** The training objective: softmax cross-entropy plus the regularisers' penalties. */
import type * as tfjs from '@tensorflow/tfjs';
import type { ForwardOutput, Model, Regularizer, Tf } from '../plugin-api.js';

/** Mean cross-entropy of `logits` [batch, classes] against integer `labels` [batch]. */
export function crossEntropy(tf: Tf, logits: tfjs.Tensor2D, labels: tfjs.Tensor1D): tfjs.Scalar {
  const classes = logits.shape[1];
  const oneHot = tf.oneHot(labels, classes);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tfjs.Scalar;
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

/** Scales gradients so their global L2 norm is at most `maxNorm` (0: unchanged). */
export function clipByGlobalNorm(tf: Tf, gradients: tfjs.NamedTensorMap, maxNorm: number): tfjs.NamedTensorMap {
  if (maxNorm <= 0) return gradients;
  const tensors = Object.values(gradients);
  const norm = tf.sqrt(tf.addN(tensors.map((gradient) => tf.sum(tf.square(gradient)))));
  const scale = tf.minimum(tf.scalar(1), tf.div(maxNorm, tf.maximum(norm, 1e-12)));
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
