/**
 * Compute benchmark: per-op costs on the selected backend, then per-batch training time split
 * into data / forward / backward / optimizer for an attention model and for LSTM and GRU
 * encoders under attention, extrapolated to one epoch of 25,000 reviews.
 *
 * `node --import=tsx bench/compute.ts [auto|wasm|cpu|tensorflow]`
 */
import { pathToFileURL } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../src/nn/backend.js';
import { createNnOps, type NnOps } from '../src/nn/ops.js';
import type { Tf } from '../src/plugin-api.js';

const TRAIN_REVIEWS = 25_000;
const BATCH = 64;
const EMBEDDING_DIM = 100;
const VOCAB = 20_000;
const HIDDEN = 64;
/** Bucketed batch lengths approximating IMDB under max_length 400 (median ~230 tokens). */
const LENGTH_MIX: readonly (readonly [length: number, share: number])[] = [
  [100, 0.15],
  [160, 0.25],
  [230, 0.25],
  [320, 0.15],
  [400, 0.2],
];

/** Median wall time of `run` in ms over `repeats` runs after one warm-up. */
function timeMs(run: () => void, repeats: number): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function report(label: string, ms: number): void {
  console.log(`  ${label.padEnd(58)} ${ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`}`);
}

function opCosts(tf: Tf, nn: NnOps): void {
  console.log('per-op costs (median):');
  const op = (label: string, run: () => tfjs.Tensor, repeats = 20) =>
    report(label, timeMs(() => tf.tidy(() => void run().dataSync()), repeats));
  const h = tf.randomNormal([BATCH, HIDDEN]);
  const u = tf.randomNormal([HIDDEN, 4 * HIDDEN]);
  const scores = tf.randomNormal([BATCH, 230]) as tfjs.Tensor2D;
  const mask = tf.ones([BATCH, 230]) as tfjs.Tensor2D;
  const x = tf.randomNormal([BATCH * 230, EMBEDDING_DIM]);
  const kernel = tf.randomNormal([EMBEDDING_DIM, 4 * HIDDEN]);
  const dz = tf.randomNormal([BATCH * 230, 4 * HIDDEN]);
  const table = tf.randomNormal([VOCAB, EMBEDDING_DIM]) as tfjs.Tensor2D;
  const ids = tf.randomUniform([BATCH, 230], 0, VOCAB, 'int32') as tfjs.Tensor2D;
  const values = tf.randomNormal([BATCH, 230, EMBEDDING_DIM]) as tfjs.Tensor3D;
  op('add [64,230] (a small op: launch overhead)', () => tf.add(scores, scores), 200);
  op('recurrent step matmul [64,64]×[64,256]', () => tf.matMul(h, u), 200);
  op('input projection [14720,100]×[100,256]', () => tf.matMul(x, kernel), 5);
  op('kernel grad, transposed flag: matMul(x, dz, true)', () => tf.matMul(x, dz, true, false), 3);
  op('kernel grad, explicit: matMul(transpose(x), dz)', () => tf.matMul(tf.transpose(x), dz), 5);
  op('tf.gather embeddings [64,230] from [20000,100]', () => tf.gather(table, ids), 5);
  op('nn.embed (frozen table, typed arrays)', () => nn.embed(ids, table), 5);
  op('tf.softmax [64,230]', () => tf.softmax(scores), 50);
  op('nn.maskedSoftmax [64,230]', () => nn.maskedSoftmax(scores, mask), 50);
  op('nn.weightedSum [64,230]·[64,230,100]', () => nn.weightedSum(scores, values), 10);
  op('tf.sum over time [64,230,100]', () => tf.sum(values, 1), 10);
  tf.dispose([h, u, scores, mask, x, kernel, dz, table, ids, values]);
}

type Encoder = 'none' | 'lstm' | 'gru';

interface Model {
  readonly variables: tfjs.Variable[];
  loss(ids: tfjs.Tensor2D, mask: tfjs.Tensor2D, labels: tfjs.Tensor2D): tfjs.Scalar;
}

/** embeddings → (encoder) → additive attention with a learned query → linear head. */
function buildModel(tf: Tf, nn: NnOps, table: tfjs.Tensor2D, encoder: Encoder): Model {
  const suffix = `${encoder}-${Math.random().toString(36).slice(2)}`;
  const gates = encoder === 'lstm' ? 4 : 3;
  const recurrent =
    encoder === 'none'
      ? undefined
      : {
          kernel: nn.glorot(`kernel-${suffix}`, [EMBEDDING_DIM, gates * HIDDEN], 1),
          recurrentKernel: nn.glorot(`recurrent-${suffix}`, [HIDDEN, gates * HIDDEN], 2),
          bias: nn.zeros(`bias-${suffix}`, [gates * HIDDEN]),
        };
  const dim = recurrent ? HIDDEN : EMBEDDING_DIM;
  const query = nn.glorot(`query-${suffix}`, [dim, 1], 3);
  const head = nn.glorot(`head-${suffix}`, [dim, 2], 4);
  const headBias = nn.zeros(`head-bias-${suffix}`, [2]);
  const variables = [query, head, headBias, ...(recurrent ? Object.values(recurrent) : [])];
  return {
    variables,
    loss(ids, mask, labels) {
      const embedded = nn.embed(ids, table);
      const states = recurrent ? nn[encoder as 'lstm' | 'gru'](embedded, mask, recurrent) : embedded;
      const scores = tf.squeeze(nn.dense(states, query as tfjs.Tensor2D), [2]) as tfjs.Tensor2D;
      const pooled = nn.weightedSum(nn.maskedSoftmax(scores, mask), states);
      const logits = nn.dense(pooled, head as tfjs.Tensor2D, headBias as tfjs.Tensor1D);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tfjs.Scalar;
    },
  };
}

interface BatchTimes {
  data: number;
  forward: number;
  backward: number;
  optimizer: number;
}

function batchTimes(tf: Tf, nn: NnOps, table: tfjs.Tensor2D, model: Model, time: number, repeats: number): BatchTimes {
  const ids = tf.randomUniform([BATCH, time], 2, VOCAB, 'int32') as tfjs.Tensor2D;
  const mask = tf.ones([BATCH, time]) as tfjs.Tensor2D;
  const labels = tf.oneHot(tf.randomUniform([BATCH], 0, 2, 'int32') as tfjs.Tensor1D, 2).toFloat() as tfjs.Tensor2D;
  const optimizer = tf.train.adam(1e-3);
  const data = timeMs(() => tf.tidy(() => void nn.embed(ids, table).dataSync()), repeats);
  const forward = timeMs(() => tf.tidy(() => void model.loss(ids, mask, labels).dataSync()), repeats);
  let gradients: tfjs.NamedTensorMap = {};
  const forwardBackward = timeMs(() => {
    tf.dispose(gradients);
    const result = tf.variableGrads(() => model.loss(ids, mask, labels), model.variables);
    result.value.dispose();
    gradients = result.grads;
    for (const gradient of Object.values(gradients)) gradient.dataSync();
  }, repeats);
  const optimizerMs = timeMs(() => {
    optimizer.applyGradients(Object.entries(gradients).map(([name, tensor]) => ({ name, tensor })));
    model.variables[0].dataSync();
  }, repeats);
  tf.dispose([ids, mask, labels, gradients]);
  optimizer.dispose();
  // The forward timing includes the embedding lookup, reported as data.
  return { data, forward: forward - data, backward: forwardBackward - forward, optimizer: optimizerMs };
}

function describe(times: BatchTimes): string {
  const total = times.data + times.forward + times.backward + times.optimizer;
  const parts = Object.entries(times).map(([name, ms]) => `${name} ${ms.toFixed(1)}`);
  return `${total.toFixed(1)} ms/batch (${parts.join(', ')})`;
}

function epochSeconds(msPerBatch: number): number {
  return (msPerBatch * Math.ceil(TRAIN_REVIEWS / BATCH)) / 1000;
}

function modelCosts(tf: Tf, nn: NnOps, encoder: Encoder): void {
  const table = tf.randomNormal([VOCAB, EMBEDDING_DIM]) as tfjs.Tensor2D;
  const model = buildModel(tf, nn, table, encoder);
  const repeats = encoder === 'none' ? 10 : 3;
  const label = encoder === 'none' ? 'attention (no encoder)' : `${encoder} (hidden ${HIDDEN}) + attention`;
  console.log(`${label}, batch ${BATCH}:`);
  const full = batchTimes(tf, nn, table, model, 256, repeats);
  console.log(`  time 256: ${describe(full)}`);
  const mix: BatchTimes = { data: 0, forward: 0, backward: 0, optimizer: 0 };
  for (const [length, share] of LENGTH_MIX) {
    const times = batchTimes(tf, nn, table, model, length, repeats);
    for (const key of Object.keys(mix) as (keyof BatchTimes)[]) mix[key] += share * times[key];
  }
  const mixMs = mix.data + mix.forward + mix.backward + mix.optimizer;
  console.log(`  bucketed length mix: ${describe(mix)}`);
  const parts = (Object.keys(mix) as (keyof BatchTimes)[]).map((key) => `${key} ${epochSeconds(mix[key]).toFixed(1)} s`);
  console.log(`  → per epoch of ${TRAIN_REVIEWS} reviews: ${epochSeconds(mixMs).toFixed(1)} s (${parts.join(', ')})`);
  tf.dispose([table, ...model.variables]);
}

export async function benchCompute(choice: BackendChoice = 'auto'): Promise<void> {
  const { tf, backend } = await selectBackend(choice);
  const nn = createNnOps(tf);
  console.log(`compute benchmark on the ${backend} backend`);
  opCosts(tf, nn);
  for (const encoder of ['none', 'lstm', 'gru'] as const) modelCosts(tf, nn, encoder);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchCompute((process.argv[2] as BackendChoice | undefined) ?? 'auto');
}
