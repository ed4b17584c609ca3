/**
 * Compute benchmark: per-op costs on the selected backend (the models' epoch times come from
 * `train-step.ts`, on the real plugins).
 *
 * `node --import=tsx bench/compute.ts [auto|wasm|cpu|tensorflow]`
 */
import { pathToFileURL } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../src/nn/backend.js';
import { createNnOps, type NnOps, type RecurrentWeights } from '../src/nn/ops.js';
import type { Tf } from '../src/plugin-api.js';

const BATCH = 64;
const EMBEDDING_DIM = 100;
const VOCAB = 20_000;
const HIDDEN = 64;

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

let variableCount = 0;

function recurrentWeights(nn: NnOps, gates: number): RecurrentWeights {
  const name = (role: string) => `bench-${role}-${variableCount++}`;
  return {
    kernel: nn.glorot(name('kernel'), [EMBEDDING_DIM, gates * HIDDEN], 1),
    recurrentKernel: nn.glorot(name('recurrent'), [HIDDEN, gates * HIDDEN], 2),
    bias: nn.zeros(name('bias'), [gates * HIDDEN]),
  };
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
  const lstmWeights = recurrentWeights(nn, 4);
  const gruWeights = recurrentWeights(nn, 3);
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
  op('tf.sum(tf.mul) weighted sum, the same', () => tf.sum(tf.mul(tf.expandDims(scores, 2), values), 1), 10);
  op('nn.tokenScores [64,230,100]·[100]', () => nn.tokenScores(values, tf.ones([EMBEDDING_DIM]) as tfjs.Tensor1D), 10);
  const valueKernel = tf.randomNormal([EMBEDDING_DIM, EMBEDDING_DIM]) as tfjs.Tensor2D;
  const valueBias = tf.zeros([EMBEDDING_DIM]) as tfjs.Tensor1D;
  op('tf.tanh(nn.dense) value transform [64,230,100]', () => tf.tanh(nn.dense(values, valueKernel, valueBias)), 5);
  op('nn.dense with tanh fused, the same', () => nn.dense(values, valueKernel, valueBias, 'tanh'), 5);
  op('nn.lstm hidden 64 over [64,230,100] inputs (forward)', () => nn.lstm(values, mask, lstmWeights), 3);
  op('nn.gru hidden 64 over [64,230,100] inputs (forward)', () => nn.gru(values, mask, gruWeights), 3);
  op('tf.sum over time [64,230,100]', () => tf.sum(values, 1), 10);
  tf.dispose([h, u, scores, mask, x, kernel, dz, table, ids, values, valueKernel, valueBias, ...Object.values(lstmWeights), ...Object.values(gruWeights)]);
}

export async function benchCompute(choice: BackendChoice = 'auto'): Promise<void> {
  const { tf, backend } = await selectBackend(choice);
  const nn = createNnOps(tf);
  console.log(`compute benchmark on the ${backend} backend`);
  opCosts(tf, nn);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchCompute((process.argv[2] as BackendChoice | undefined) ?? 'auto');
}
