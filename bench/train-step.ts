/**
 * Training-step benchmark on the real plugins: each shipped config's model is built through the
 * container (random embeddings in place of GloVe, same shape) and trained as `src/train/trainer.ts`
 * does, one phase at a time, on batches whose lengths follow IMDB's bucketed mix. Extrapolated to
 * one epoch of 25,000 reviews.
 */
import type { Batch } from '../src/data/batches.js';
import { mulberry32 } from '../src/data/random.js';
import { parseOverrides } from '../src/config/load.js';
import { resolveConfigFile } from '../src/config/validate.js';
import type { Tf } from '../src/plugin-api.js';
import { buildModel } from '../src/run/build.js';
import { batchTensors } from '../src/train/evaluate.js';
import { clipByGlobalNorm, lossAndGradients, totalLoss } from '../src/train/loss.js';

export const TRAIN_REVIEWS = 25_000;
const BATCH = 64;
const VOCAB = 20_000;
const EMBEDDING_DIM = 100;
/** Bucketed batch lengths approximating IMDB under max_length 400 (median ~230 tokens). */
export const LENGTH_MIX: readonly (readonly [length: number, share: number])[] = [
  [100, 0.15],
  [160, 0.25],
  [230, 0.25],
  [320, 0.15],
  [400, 0.2],
];

export const PHASES = ['data', 'forward', 'backward', 'optimizer', 'readback'] as const;
export type Phase = (typeof PHASES)[number];
export type PhaseTimes = Record<Phase, number>;

export interface ModelBench {
  readonly label: string;
  readonly config: string;
  /** `--set` overrides on the config, e.g. to time the model the PyTorch figure is for. */
  readonly overrides?: readonly string[];
}

/** The brief's Q3 value transform tanh(W_v·x + b_v), which the PyTorch reference times; the shipped config uses an MLP. */
const Q3_LINEAR_VALUE = ['model.value={ type: linear, activation: tanh }'];

export const MODEL_BENCHES: readonly ModelBench[] = [
  { label: 'q1 mean', config: 'configs/q1-mean.yaml' },
  { label: 'q2 attention', config: 'configs/q2-attention.yaml' },
  { label: 'q3 query + linear value', config: 'configs/q3-query-value.yaml', overrides: Q3_LINEAR_VALUE },
  { label: 'q3 query + MLP value', config: 'configs/q3-query-value.yaml' },
  { label: 'q4 lstm 64 + attention', config: 'configs/q4-lstm-attention.yaml' },
  { label: 'q4 gru 64 + attention', config: 'configs/q4-gru-attention.yaml' },
];

/** A bucketed batch: `time` tokens in the longest row, the others a little shorter. */
function syntheticBatch(time: number, random: () => number): Batch {
  const ids = new Int32Array(BATCH * time);
  const mask = new Float32Array(BATCH * time);
  const lengths = Int32Array.from({ length: BATCH }, (_, row) => (row === 0 ? time : Math.max(1, Math.round(time * (0.85 + 0.15 * random())))));
  for (let row = 0; row < BATCH; row++) {
    for (let t = 0; t < lengths[row]; t++) {
      ids[row * time + t] = 1 + zipfRank(random);
      mask[row * time + t] = 1;
    }
  }
  const labels = Int32Array.from({ length: BATCH }, () => (random() < 0.5 ? 0 : 1));
  return { ids, mask, lengths, labels, size: BATCH, time, indices: Int32Array.from({ length: BATCH }, (_, row) => row) };
}

/**
 * A word rank in 1 … VOCAB − 2, log-uniform as Zipf's law has it: a batch of 64 then holds ~4,200
 * distinct words (IMDB's batches: ~2,700), which token-wise transforms are computed once for.
 */
function zipfRank(random: () => number): number {
  return Math.floor(Math.pow(VOCAB - 2, random()));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A frozen embedding table: `vectors` holds `vectors.length / dim` rows. */
export interface BenchTable {
  readonly vectors: Float32Array;
  readonly dim: number;
}

/**
 * Times one training step per batch, phase by phase, as the trainer runs it: batch tensors
 * (data), embedding lookup, forward and loss, backward, clipping and the optimizer update, and
 * reading the loss and probabilities back. The largest batch runs once before, as a warm-up: kernel
 * memories and tfjs's buffers then have their largest sizes, so no timed step pays for growing them;
 * `afterWarmUp` runs once it is done.
 */
export async function batchTimes(tf: Tf, bench: ModelBench, batches: readonly Batch[], table: BenchTable, afterWarmUp?: () => void): Promise<PhaseTimes[]> {
  const { config, container } = await resolveConfigFile(bench.config, parseOverrides(bench.overrides ?? []));
  const built = await buildModel(tf, config, container, { ...table, trainable: false }, 2);
  const { model, optimizer, regularizers } = built;
  const step = (batch: Batch): PhaseTimes =>
    tf.tidy(() => {
      let start = performance.now();
      const { ids, mask, labels } = batchTensors(tf, batch);
      const data = performance.now() - start;
      start = performance.now();
      totalLoss(tf, model.forward(ids, mask, true), labels, regularizers, model.variables).loss.dataSync();
      const forward = performance.now() - start;
      start = performance.now();
      const { loss: value, gradients: grads, logits } = lossAndGradients(tf, model, regularizers, { ids, mask, labels });
      for (const gradient of Object.values(grads)) gradient.dataSync();
      // The forward pass again, then the backward pass: less the forward pass timed alone.
      const backward = performance.now() - start - forward;
      start = performance.now();
      optimizer.applyGradients(clipByGlobalNorm(tf, grads, config.train.clip_norm));
      for (const variable of model.variables) variable.dataSync();
      const optimizerMs = performance.now() - start;
      start = performance.now();
      value.dataSync();
      tf.softmax(logits).dataSync();
      return { data, forward, backward, optimizer: optimizerMs, readback: performance.now() - start };
    });
  try {
    step(batches.reduce((largest, batch) => (batch.size * batch.time > largest.size * largest.time ? batch : largest)));
    afterWarmUp?.();
    return batches.map(step);
  } finally {
    built.dispose();
  }
}

/** Medians over `repeats` synthetic batches of `time` tokens of {@link batchTimes}. */
export async function stepTimes(tf: Tf, bench: ModelBench, time: number, repeats: number): Promise<PhaseTimes> {
  const random = mulberry32(7);
  const vectors = Float32Array.from({ length: VOCAB * EMBEDDING_DIM }, () => random() - 0.5);
  const batches = Array.from({ length: repeats }, () => syntheticBatch(time, random));
  const samples = await batchTimes(tf, bench, batches, { vectors, dim: EMBEDDING_DIM });
  return Object.fromEntries(PHASES.map((phase) => [phase, median(samples.map((times) => times[phase]))])) as PhaseTimes;
}

/** Per-batch phase times averaged over the length mix, in ms. */
export async function mixTimes(tf: Tf, bench: ModelBench, repeats: number): Promise<PhaseTimes> {
  const mix = Object.fromEntries(PHASES.map((phase) => [phase, 0])) as PhaseTimes;
  for (const [length, share] of LENGTH_MIX) {
    const times = await stepTimes(tf, bench, length, repeats);
    for (const phase of PHASES) mix[phase] += share * times[phase];
  }
  return mix;
}

/** Seconds per epoch of {@link TRAIN_REVIEWS} reviews for `msPerBatch`. */
export function epochSeconds(msPerBatch: number): number {
  return (msPerBatch * Math.ceil(TRAIN_REVIEWS / BATCH)) / 1000;
}
