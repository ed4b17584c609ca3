/** Runs a model over a split without training: loss, accuracy, and every review's attention. */
import type * as tfjs from '@tensorflow/tfjs';
import type { Model, ProgressReporter, Tf } from '../plugin-api.js';
import { scoringBatches, type Batch, type EncodedSplit } from '../data/batches.js';
import { classScores, confusionMatrix, macroF1 } from '../report/metrics.js';
import { whileScoring } from '../nn/scoring-pass.js';
import { rememberIds, rememberValues, valuesOf } from '../nn/values.js';
import { softmaxCrossEntropy } from './loss.js';

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

/** The model's inputs for one batch, which keep the batch's arrays for the ops that read them; the caller disposes them. */
export function inputTensors(tf: Tf, batch: Batch): { ids: tfjs.Tensor2D; mask: tfjs.Tensor2D } {
  return {
    ids: rememberIds(tf.tensor2d(batch.ids, [batch.size, batch.time], 'int32'), batch.ids),
    mask: rememberValues(tf.tensor2d(batch.mask, [batch.size, batch.time], 'float32'), batch.mask),
  };
}

/** Tensors of one batch, labels included; the caller disposes them. */
export function batchTensors(tf: Tf, batch: Batch): { ids: tfjs.Tensor2D; mask: tfjs.Tensor2D; labels: tfjs.Tensor1D } {
  return { ...inputTensors(tf, batch), labels: tf.tensor1d(batch.labels, 'int32') };
}

/**
 * Scores `split` in `scoringBatches`. Each batch costs one forward pass and two reads (logits,
 * attention); the softmax, the loss and the predictions are computed here from the logits, which
 * on wasm is cheaper than the dozen tfjs ops (tens of µs each) they would take. A review's
 * attention is a view into its batch's weights: sorted by length, a batch is hardly padded.
 */
export function evaluate(tf: Tf, model: Model, split: EncodedSplit, options: EvaluateOptions): Evaluation {
  const count = split.size;
  const scores = new SplitScores(split);
  const task = options.progress?.start(options.label ?? 'scoring', count, 'reviews');
  whileScoring(() => {
    for (const batch of scoringBatches(split, { maxRows: options.batchSize, maxTokens: options.batchTokens ?? Number.POSITIVE_INFINITY, maxLength: options.maxLength })) {
      scores.add(batch, forwardValues(tf, model, batch));
      task?.tick(batch.size);
    }
  });
  task?.done();
  return scores.evaluation();
}

interface ForwardValues {
  /** [rows, classes] */
  readonly logits: Float32Array;
  readonly classes: number;
  /** [rows, time] */
  readonly attention: Float32Array;
}

/** One batch's logits and attention, read back; no tensor outlives the call. */
function forwardValues(tf: Tf, model: Model, batch: Batch): ForwardValues {
  const { logits, attention } = tf.tidy(() => {
    const { ids, mask } = inputTensors(tf, batch);
    const output = model.forward(ids, mask, false);
    return { logits: output.logits, attention: output.attention };
  });
  try {
    // The attention is often the pooler's weights, which the attention ops have read already.
    return { logits: logits.dataSync() as Float32Array, classes: logits.shape[1], attention: valuesOf(attention) };
  } finally {
    tf.dispose([logits, attention]);
  }
}

/** What the batches of one split add up to, each review at its place in the split. */
class SplitScores {
  private probabilities = new Float32Array(0);
  private classes = 0;
  private readonly attention: Float32Array[];
  private readonly predicted: Int32Array;
  private lossSum = 0;
  private correct = 0;

  constructor(private readonly split: EncodedSplit) {
    this.attention = new Array<Float32Array>(split.size);
    this.predicted = new Int32Array(split.size);
  }

  add(batch: Batch, values: ForwardValues): void {
    const { classes } = values;
    if (this.classes === 0) {
      this.classes = classes;
      this.probabilities = new Float32Array(this.split.size * classes);
    }
    for (let row = 0; row < batch.size; row++) {
      const example = batch.indices[row];
      const probabilities = this.probabilities.subarray(example * classes, (example + 1) * classes);
      this.lossSum += softmaxCrossEntropy(values.logits.subarray(row * classes, (row + 1) * classes), batch.labels[row], probabilities);
      this.predicted[example] = argMax(probabilities);
      if (this.predicted[example] === batch.labels[row]) this.correct++;
      this.attention[example] = values.attention.subarray(row * batch.time, row * batch.time + batch.lengths[row]);
    }
  }

  evaluation(): Evaluation {
    // An empty split: 0 / 0, NaN throughout.
    const count = this.split.size;
    const f1 = macroF1(classScores(confusionMatrix(this.split.labels, this.predicted, this.classes), []));
    // To float32, the logits' precision: the trainer breaks ties in accuracy by the loss, and the
    // digits beyond it move with the weights' last bits (a step at lr 1e-12) while nothing is learnt.
    return { loss: Math.fround(this.lossSum / count), accuracy: this.correct / count, macroF1: f1, probabilities: this.probabilities, attention: this.attention };
  }
}

export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index] > values[best]) best = index;
  return best;
}
