/**
 * `npm run bench -- threads`: the LSTM and GRU layers alone (64 units over 100-wide inputs, as
 * q4 runs them on GloVe), on 1 and 2 kernel threads, over batches of IMDB's bucketed lengths:
 * seconds per epoch of the 22,500 train reviews, forward and backward (the weights' gradients;
 * the embeddings are frozen), and where the time of a training step's kernel calls goes.
 *
 * With ATTNLAB_BENCH_BASELINE=<another checkout of attnlab> whose `node_modules` is a link to
 * this one's (so that both use one tfjs), that checkout's layers are timed too, interleaved
 * with these batch mix by batch mix: the ratio between them is what to read on a loaded machine.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { mulberry32 } from '../src/data/random.js';
import { selectBackend } from '../src/nn/backend.js';
import { createNnOps, type NnOps } from '../src/nn/ops.js';
import { kernelThreads, setKernelThreads, type PhaseProfile } from '../src/nn/threads/pool.js';
import type { Tf } from '../src/plugin-api.js';
import { LENGTH_MIX } from './train-step.js';

const BATCH = 64;
const INPUT = 100;
const HIDDEN = 64;
/** IMDB's 25,000 train reviews less the 10 % validation split. */
const EPOCH_BATCHES = Math.ceil(22_500 / BATCH);
const REPEATS = 3;
const THREAD_COUNTS = [1, 2] as const;
const BASELINE_ENV = 'ATTNLAB_BENCH_BASELINE';

/** One implementation of the layers: this checkout's, or the baseline's. */
interface Variant {
  readonly label: string;
  readonly nn: NnOps;
  readonly setThreads: (count: number) => void;
  /** Where this variant's kernel calls record their phases; the baseline may not. */
  readonly profile?: (profile: PhaseProfile | undefined) => void;
}

interface LayerBench {
  readonly label: string;
  readonly cell: 'lstm' | 'gru';
  readonly bidirectional: boolean;
}

const LAYERS: readonly LayerBench[] = [
  { label: 'lstm 64', cell: 'lstm', bidirectional: false },
  { label: 'gru 64', cell: 'gru', bidirectional: false },
  { label: 'lstm 64 bidirectional', cell: 'lstm', bidirectional: true },
];

/** Milliseconds of one batch, forward alone and a whole training step's backward part. */
interface BatchTimes {
  readonly forward: number;
  readonly backward: number;
}

/** A batch of `time` tokens bucketed as attnlab buckets: the longest row `time`, the others a little shorter. */
function batchOf(tf: Tf, time: number, outputWidth: number, random: () => number) {
  const mask = new Float32Array(BATCH * time);
  for (let row = 0; row < BATCH; row++) mask.fill(1, row * time, row * time + (row === 0 ? time : Math.max(1, Math.round(time * (0.85 + 0.15 * random())))));
  const values = (length: number, scale: number) => Float32Array.from({ length }, () => (random() - 0.5) * 2 * scale);
  return {
    x: tf.tensor3d(values(BATCH * time * INPUT, 0.5), [BATCH, time, INPUT]),
    mask: tf.tensor2d(mask, [BATCH, time]),
    lossWeights: tf.tensor3d(values(BATCH * time * outputWidth, 1), [BATCH, time, outputWidth]),
  };
}

function weightsOf(tf: Tf, cell: LayerBench['cell'], random: () => number) {
  const width = (cell === 'lstm' ? 4 : 3) * HIDDEN;
  const values = (length: number) => Float32Array.from({ length }, () => (random() - 0.5) * 0.2);
  return {
    kernel: tf.variable(tf.tensor2d(values(INPUT * width), [INPUT, width])),
    recurrentKernel: tf.variable(tf.tensor2d(values(HIDDEN * width), [HIDDEN, width])),
    bias: tf.variable(tf.tensor1d(values(width))),
  };
}

/** Times one batch of `time` tokens through `layer` of `variant`, after one untimed warm-up step. */
function timeBatch(tf: Tf, variant: Variant, layer: LayerBench, time: number, profile: PhaseProfile): BatchTimes {
  const random = mulberry32(time);
  const directions = (layer.bidirectional ? [false, true] : [false]).map((reverse) => ({ reverse, weights: weightsOf(tf, layer.cell, random) }));
  const { x, mask, lossWeights } = batchOf(tf, time, directions.length * HIDDEN, random);
  const forward = () => tf.concat(directions.map(({ reverse, weights }) => variant.nn[layer.cell](x, mask, weights, { reverse })), 2);
  const trained = directions.flatMap(({ weights }) => [weights.kernel, weights.recurrentKernel, weights.bias]);
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(), lossWeights)) as tfjs.Scalar, trained);
      for (const gradient of Object.values(grads)) gradient.dataSync();
    });
  try {
    step();
    let start = performance.now();
    // `void`: tf.tidy walks a returned typed array index by index, which would be timed too.
    tf.tidy(() => void forward().dataSync());
    const forwardMs = performance.now() - start;
    variant.profile?.(profile);
    start = performance.now();
    step();
    const stepMs = performance.now() - start;
    variant.profile?.(undefined);
    return { forward: forwardMs, backward: stepMs - forwardMs };
  } finally {
    tf.dispose([x, mask, lossWeights, ...trained]);
  }
}

/** Per-batch milliseconds averaged over IMDB's length mix; the training steps' phases add up in `profile`, weighted alike. */
function timeMix(tf: Tf, variant: Variant, layer: LayerBench, threads: number, profile: PhaseProfile): BatchTimes {
  variant.setThreads(threads);
  let forward = 0;
  let backward = 0;
  for (const [time, share] of LENGTH_MIX) {
    const phases: PhaseProfile = new Map();
    const times = timeBatch(tf, variant, layer, time, phases);
    forward += share * times.forward;
    backward += share * times.backward;
    for (const [phase, ms] of phases) profile.set(phase, (profile.get(phase) ?? 0) + share * ms);
  }
  return { forward, backward };
}

async function baselineVariant(directory: string): Promise<Variant> {
  const ops = (await import(join(directory, 'src/nn/ops.ts'))) as typeof import('../src/nn/ops.js');
  const pool = (await import(join(directory, 'src/nn/threads/pool.ts'))) as Pick<typeof import('../src/nn/threads/pool.js'), 'setKernelThreads'>;
  const { tf } = await selectBackend('wasm');
  return { label: `baseline (${directory})`, nn: ops.createNnOps(tf), setThreads: pool.setKernelThreads };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const epoch = (ms: number): string => `${((ms * EPOCH_BATCHES) / 1000).toFixed(1)} s`.padStart(8);
const load = (): string => loadavg().map((value) => value.toFixed(1)).join(' ');

export async function benchThreads(): Promise<void> {
  const { tf } = await selectBackend('wasm');
  const current: Variant = { label: 'this checkout', nn: createNnOps(tf), setThreads: setKernelThreads, profile: (profile) => (kernelThreads().profile = profile) };
  const baseline = process.env[BASELINE_ENV];
  const variants = baseline ? [current, await baselineVariant(baseline)] : [current];
  console.log(`\nrecurrent layers alone, ${BATCH} × IMDB's length mix, inputs ${INPUT}, hidden ${HIDDEN}: seconds per epoch of ${EPOCH_BATCHES} batches (load average ${load()})`);
  if (!baseline) console.log(`  (set ${BASELINE_ENV} to another checkout to time it beside this one)`);
  for (const layer of LAYERS) {
    const samples = new Map<string, BatchTimes[]>();
    const profiles = new Map<number, PhaseProfile>(THREAD_COUNTS.map((threads) => [threads, new Map()]));
    // Interleaved: each repeat times every variant on every thread count before the next repeat.
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const threads of THREAD_COUNTS) {
        for (const variant of variants) {
          const key = `${variant.label}|${threads}`;
          const profile = variant === current ? (profiles.get(threads) as PhaseProfile) : new Map<string, number>();
          samples.set(key, [...(samples.get(key) ?? []), timeMix(tf, variant, layer, threads, profile)]);
        }
      }
    }
    console.log(`  ${layer.label}:`);
    for (const variant of variants) {
      for (const threads of THREAD_COUNTS) {
        const times = samples.get(`${variant.label}|${threads}`) as BatchTimes[];
        const [forward, backward] = [median(times.map((t) => t.forward)), median(times.map((t) => t.backward))];
        const single = samples.get(`${variant.label}|1`) as BatchTimes[];
        const speedUp = median(single.map((t) => t.forward + t.backward)) / (forward + backward);
        const versus = variant === current ? '' : ` · this checkout ÷ baseline: ${(ratioOf(samples, current.label, variant.label, threads)).toFixed(2)}`;
        console.log(`    ${variant.label} on ${threads} thread${threads > 1 ? 's' : ''}: forward ${epoch(forward)} backward ${epoch(backward)} total ${epoch(forward + backward)} (×${speedUp.toFixed(2)} vs 1 thread)${versus}`);
      }
    }
    for (const [threads, profile] of profiles) {
      const phases = [...profile].map(([phase, ms]) => `${phase} ${((ms / REPEATS) * EPOCH_BATCHES / 1000).toFixed(1)}`).join(', ');
      console.log(`    this checkout, ${threads} thread${threads > 1 ? 's' : ''}, a training step's kernel calls (s per epoch): ${phases}`);
    }
  }
  console.log(`  load average after: ${load()}`);
}

/** Total time of `a` over `b` on `threads`, medians of each. */
function ratioOf(samples: ReadonlyMap<string, readonly BatchTimes[]>, a: string, b: string, threads: number): number {
  const total = (label: string) => median((samples.get(`${label}|${threads}`) as BatchTimes[]).map((t) => t.forward + t.backward));
  return total(a) / total(b);
}
