/** Runs a model over a split without training: loss, accuracy, and every review's attention. */
import type * as tfjs from '@tensorflow/tfjs';
import type { Model, ProgressReporter, Tf } from '../plugin-api.js';
import { scoringBatches, type Batch, type EncodedSplit } from '../data/batches.js';
import { classScores, confusionMatrix, macroF1 } from '../report/metrics.js';
import { crossEntropy } from './loss.js';

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  /** Mean F1 over the classes present in the split (see `macroF1` in report/metrics). */
  readonly macroF1: number;
  /** Row-major [reviews, classes] class probabilities, in the split's order. */
  readonly probabilities: Float32Array;
  /** Each review's attention over its (truncated) tokens, in the split's order. */
  readonly attention: readonly Float32Array[];
}

export interface EvaluateOptions {
  /** Most reviews per batch. */
  readonly batchSize: number;
  /** Most token positions per batch (reviews × the longest one), `train.eval_batch_tokens`; unbounded when absent. See `scoringBatches`. */
  readonly batchTokens?: number;
  readonly maxLength: number;
  /** Shows the reviews scored so far, under `label` (e.g. `scoring the test split`). */
  readonly progress?: ProgressReporter;
  readonly label?: string;
}

/** Tensors of one batch; the caller disposes them. */
export function batchTensors(tf: Tf, batch: Batch): { ids: tfjs.Tensor2D; mask: tfjs.Tensor2D; labels: tfjs.Tensor1D } {
  return {
    ids: tf.tensor2d(batch.ids, [batch.size, batch.time], 'int32'),
    mask: tf.tensor2d(batch.mask, [batch.size, batch.time], 'float32'),
    labels: tf.tensor1d(batch.labels, 'int32'),
  };
}

export function evaluate(tf: Tf, model: Model, split: EncodedSplit, options: EvaluateOptions): Evaluation {
  const count = split.labels.length;
  let classes = 0;
  let probabilities = new Float32Array(0);
  const attention: Float32Array[] = new Array(count);
  let lossSum = 0;
  let correct = 0;
  const task = options.progress?.start(options.label ?? 'scoring', count, 'reviews');
  const predicted = new Int32Array(count);
  for (const batch of scoringBatches(split, { maxRows: options.batchSize, maxTokens: options.batchTokens ?? Number.POSITIVE_INFINITY, maxLength: options.maxLength })) {
    const [batchLoss, batchProbabilities, weights] = tf.tidy(() => {
      const { ids, mask, labels } = batchTensors(tf, batch);
      const output = model.forward(ids, mask, false);
      return [crossEntropy(tf, output.logits, labels), tf.softmax(output.logits), output.attention] as const;
    });
    const probabilityValues = batchProbabilities.dataSync() as Float32Array;
    const weightValues = weights.dataSync() as Float32Array;
    lossSum += (batchLoss.dataSync()[0] ?? 0) * batch.size;
    tf.dispose([batchLoss, batchProbabilities, weights]);
    if (classes === 0) {
      classes = probabilityValues.length / batch.size;
      probabilities = new Float32Array(count * classes);
    }
    for (let row = 0; row < batch.size; row++) {
      const example = batch.indices[row];
      const rowProbabilities = probabilityValues.subarray(row * classes, (row + 1) * classes);
      probabilities.set(rowProbabilities, example * classes);
      predicted[example] = argMax(rowProbabilities);
      if (predicted[example] === batch.labels[row]) correct++;
      attention[example] = weightValues.slice(row * batch.time, row * batch.time + batch.lengths[row]);
    }
    task?.tick(batch.size);
  }
  task?.done();
  const f1 = count ? macroF1(classScores(confusionMatrix(split.labels, predicted, classes), [])) : Number.NaN;
  return { loss: count ? lossSum / count : Number.NaN, accuracy: count ? correct / count : Number.NaN, macroF1: f1, probabilities, attention };
}

export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index] > values[best]) best = index;
  return best;
}
