/**
 * The training loop: seeded shuffled batches, loss with regularisers, clipped gradients, early
 * stopping and best-checkpoint selection on the validation split only.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { TrainSettings } from '../config/types.js';
import { PluginError, TrainingError } from '../errors.js';
import { traceNonFinite } from '../plugins/plugin-calls.js';
import type { Model, ProgressReporter, Regularizer, Tf } from '../plugin-api.js';
import { iterateBatches, type EncodedSplit } from '../data/batches.js';
import { deriveSeed } from '../data/random.js';
import { batchTensors, evaluate, argMax, type Evaluation } from './evaluate.js';
import { clipByGlobalNorm, lossAndGradients } from './loss.js';

export interface EpochResult {
  readonly epoch: number;
  readonly trainLoss: number;
  /** Each regulariser's mean penalty over the epoch's batches, in the order of `regularizers`. */
  readonly trainPenalties: readonly number[];
  readonly trainAccuracy: number;
  readonly validation: Evaluation;
  /** Seconds spent on the training pass (not the validation pass). */
  readonly seconds: number;
  /** Seconds spent scoring the validation split after it. */
  readonly validationSeconds: number;
  readonly itemsPerSecond: number;
  /** The learning rate this epoch trained with. */
  readonly learningRate: number;
  readonly improved: boolean;
}

export interface TrainOptions {
  readonly tf: Tf;
  readonly model: Model;
  readonly optimizer: tfjs.Optimizer;
  readonly regularizers: readonly Regularizer[];
  readonly train: EncodedSplit;
  readonly validation: EncodedSplit;
  readonly settings: TrainSettings;
  readonly seed: number;
  readonly progress: ProgressReporter;
  /** Called after each epoch, e.g. to log metrics. */
  readonly onEpoch?: (result: EpochResult) => Promise<void> | void;
  /** Checked after every batch: once aborted, training stops there and throws the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface TrainResult {
  readonly epochs: readonly EpochResult[];
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { tf, model, settings } = options;
  const epochs: EpochResult[] = [];
  const schedule = new PlateauSchedule(options.optimizer, settings);
  let best: { epoch: number; accuracy: number; loss: number; values: Float32Array[] } | undefined;
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    const learningRate = schedule.learningRate;
    const pass = await trainOneEpoch(options, epoch);
    // Stopped mid-epoch: no validation pass, no epoch result; the caller ends the run KILLED.
    options.signal?.throwIfAborted();
    const validating = performance.now();
    const validation = evaluate(tf, model, options.validation, { batchSize: settings.eval_batch_size, batchTokens: settings.eval_batch_tokens, maxLength: settings.max_length });
    const validationSeconds = (performance.now() - validating) / 1000;
    // Ties in accuracy (common once validation saturates) go to the lower validation loss.
    const improved = !best || validation.accuracy > best.accuracy || (validation.accuracy === best.accuracy && validation.loss < best.loss);
    if (improved) {
      best = { epoch, accuracy: validation.accuracy, loss: validation.loss, values: model.variables.map((variable) => variable.dataSync().slice() as Float32Array) };
    }
    const result: EpochResult = { ...pass, epoch, validation, validationSeconds, learningRate, improved };
    epochs.push(result);
    await options.onEpoch?.(result);
    options.signal?.throwIfAborted();
    if (settings.patience > 0 && best && epoch - best.epoch >= settings.patience) {
      stoppedEarly = true;
      break;
    }
    schedule.endEpoch(improved);
  }
  if (best) restore(tf, model, best.values);
  return { epochs, bestEpoch: best?.epoch ?? 0, stoppedEarly };
}

/** `train.lr_decay`: the learning rate times `factor` after each `patience` epochs without a better validation accuracy. */
class PlateauSchedule {
  private epochsWithoutImprovement = 0;
  learningRate: number;

  constructor(
    private readonly optimizer: tfjs.Optimizer,
    private readonly settings: TrainSettings,
  ) {
    this.learningRate = settings.lr;
    if (settings.lr_decay.factor < 1 && !('learningRate' in optimizer)) {
      throw new TrainingError('lr-decay-unsupported', `train.lr_decay: the optimizer (${optimizer.getClassName()}) has no learning rate to decay; set train.lr_decay.factor to 1.`);
    }
  }

  endEpoch(improved: boolean): void {
    const { factor, patience, min_lr: minimum } = this.settings.lr_decay;
    this.epochsWithoutImprovement = improved ? 0 : this.epochsWithoutImprovement + 1;
    if (factor === 1 || this.epochsWithoutImprovement < patience) return;
    this.epochsWithoutImprovement = 0;
    this.learningRate = Math.max(minimum, this.learningRate * factor);
    // tfjs optimizers read `learningRate` at each step; SGD and momentum keep a copy that `setLearningRate` refreshes.
    const optimizer = this.optimizer as tfjs.Optimizer & { learningRate: number; setLearningRate?: (rate: number) => void };
    if (optimizer.setLearningRate) optimizer.setLearningRate(this.learningRate);
    else optimizer.learningRate = this.learningRate;
  }
}

async function trainOneEpoch(options: TrainOptions, epoch: number): Promise<Omit<EpochResult, 'epoch' | 'validation' | 'validationSeconds' | 'learningRate' | 'improved'>> {
  const { tf, model, optimizer, regularizers, settings } = options;
  const count = options.train.labels.length;
  const task = options.progress.start(`epoch ${epoch}/${settings.epochs}`, count, 'reviews');
  const started = performance.now();
  let lossSum = 0;
  const penaltySums = regularizers.map(() => 0);
  let correct = 0;
  let batchIndex = 0;
  const batches = iterateBatches(options.train, {
    batchSize: settings.batch_size,
    maxLength: settings.max_length,
    shuffle: true,
    seed: deriveSeed(options.seed, `shuffle/epoch_${epoch}`),
    bucketByLength: settings.bucket_by_length,
  });
  for (const batch of batches) {
    if (options.signal?.aborted) {
      task.done();
      options.signal.throwIfAborted();
    }
    batchIndex++;
    const [loss, probabilities, ...penalties] = tf.tidy(() => {
      const { loss, gradients, logits, penalties } = lossAndGradients(tf, model, regularizers, batchTensors(tf, batch));
      // A non-finite step is not applied: the weights stay as they were, so that it can be traced.
      if (Number.isFinite(loss.dataSync()[0])) optimizer.applyGradients(clipByGlobalNorm(tf, gradients, settings.clip_norm));
      return [loss, tf.softmax(logits), ...penalties] as const;
    });
    const lossValue = loss.dataSync()[0] ?? Number.NaN;
    const probabilityValues = probabilities.dataSync() as Float32Array;
    penalties.forEach((penalty, index) => (penaltySums[index] += (penalty.dataSync()[0] ?? Number.NaN) * batch.size));
    tf.dispose([loss, probabilities, ...penalties]);
    if (!Number.isFinite(lossValue)) {
      task.done();
      throw nonFiniteLoss(options, batch, `the loss became ${lossValue} at epoch ${epoch}, batch ${batchIndex}; training stopped`);
    }
    const classes = probabilityValues.length / batch.size;
    for (let row = 0; row < batch.size; row++) {
      if (argMax(probabilityValues.subarray(row * classes, (row + 1) * classes)) === batch.labels[row]) correct++;
    }
    lossSum += lossValue * batch.size;
    task.status(`loss ${(lossSum / (batchIndex * settings.batch_size)).toFixed(4)}`);
    task.tick(batch.size);
    // Let signal handlers (Ctrl-C → run KILLED) and the tracker's uploads run between batches.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  task.done();
  const seconds = (performance.now() - started) / 1000;
  return { trainLoss: lossSum / count, trainPenalties: penaltySums.map((sum) => sum / count), trainAccuracy: correct / count, seconds, itemsPerSecond: count / seconds };
}

/**
 * The error for a non-finite loss: the batch runs again with every component's output checked,
 * and the first one that was not finite is named; when all were, the optimisation diverged.
 */
function nonFiniteLoss({ tf, model, regularizers, settings }: TrainOptions, batch: Parameters<typeof batchTensors>[1], what: string): Error {
  const source = traceNonFinite(() => {
    tf.tidy(() => {
      lossAndGradients(tf, model, regularizers, batchTensors(tf, batch));
    });
  });
  if (source) {
    return new PluginError('plugin-non-finite', source.file, `${what}: the first non-finite output came from ${source.kind} "${source.name}" ${source.method}()`);
  }
  return new TrainingError('non-finite-loss', `${what}; every component's output was finite. Lower train.lr or set train.clip_norm (now ${settings.clip_norm}).`);
}

function restore(tf: Tf, model: Model, values: readonly Float32Array[]): void {
  model.variables.forEach((variable, index) => variable.assign(tf.tensor(values[index], variable.shape, variable.dtype)));
}
