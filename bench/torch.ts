/**
 * `npm run bench -- torch`: attnlab beside a PyTorch implementation of the same models
 * (`bench/torch_reference.py`, run by /usr/bin/python3 when it has torch), trained on the very
 * batches attnlab's trainer makes for one epoch: the batches are exported to a file rather than
 * re-bucketed in Python.
 *
 * A whole epoch per model and framework would take too long for one bench run: both time the same
 * sample of the epoch's batches, spread evenly over its length distribution (every k-th batch by
 * length), and scale by the epoch's batch count. attnlab's forward includes reading the loss and
 * probabilities back, as PyTorch's includes `loss.item()`. The two sides alternate model by model, so that
 * a change in the machine's load hits both.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iterateBatches, type Batch, type EncodedSplit } from '../src/data/batches.js';
import { IMDB_ENV } from '../src/data/imdb.js';
import { deriveSeed, mulberry32 } from '../src/data/random.js';
import { parseOverrides } from '../src/config/load.js';
import { resolveConfigFile } from '../src/config/validate.js';
import { selectBackend } from '../src/nn/backend.js';
import { startKernelThreads } from '../src/nn/threads/pool.js';
import type { Tf } from '../src/plugin-api.js';
import { silentProgress } from '../src/progress.js';
import { buildModel } from '../src/run/build.js';
import { loadData } from '../src/run/experiment.js';
import { evaluate } from '../src/train/evaluate.js';
import { batchTimes, type BenchTable, type ModelBench } from './train-step.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./torch_reference.py', import.meta.url));
const BATCH = 64;
const MAX_LENGTH = 400;
/** The trainer's shuffling seed of the first epoch under the shipped configs' seed 0. */
const EPOCH_SEED = deriveSeed(0, 'shuffle/epoch_1');
const TORCH_THREADS = 2;
/** A reference model's sample should take well under a minute on an idle machine. */
const REFERENCE_TIMEOUT_MS = 600_000;
const BIDIRECTIONAL = ['model.encoder.bidirectional=true'];

interface TorchBench extends ModelBench {
  /** The model's name in `torch_reference.py`. */
  readonly reference: string;
  /** How many of the epoch's batches both sides time. */
  readonly sample: number;
}

const ATTENTION_SAMPLE = 32;
const RECURRENT_SAMPLE = 8;

export const TORCH_BENCHES: readonly TorchBench[] = [
  { label: 'q1 mean', config: 'configs/q1-mean.yaml', reference: 'q1', sample: ATTENTION_SAMPLE },
  { label: 'q2 attention', config: 'configs/q2-attention.yaml', reference: 'q2', sample: ATTENTION_SAMPLE },
  { label: 'q3 query + linear value', config: 'configs/q3-query-value.yaml', overrides: ['model.value={ type: linear, activation: tanh }'], reference: 'q3-linear', sample: ATTENTION_SAMPLE },
  { label: 'q3 query + MLP value', config: 'configs/q3-query-value.yaml', reference: 'q3-mlp', sample: ATTENTION_SAMPLE },
  { label: 'q5 entropy', config: 'configs/q5-entropy.yaml', reference: 'q5', sample: ATTENTION_SAMPLE },
  { label: 'q4 lstm 64', config: 'configs/q4-lstm-attention.yaml', reference: 'lstm', sample: RECURRENT_SAMPLE },
  { label: 'q4 gru 64', config: 'configs/q4-gru-attention.yaml', reference: 'gru', sample: RECURRENT_SAMPLE },
  { label: 'q4 bi-lstm 64', config: 'configs/q4-lstm-attention.yaml', overrides: BIDIRECTIONAL, reference: 'lstm-bi', sample: RECURRENT_SAMPLE },
  { label: 'q4 bi-gru 64', config: 'configs/q4-gru-attention.yaml', overrides: BIDIRECTIONAL, reference: 'gru-bi', sample: RECURRENT_SAMPLE },
];

const BREAKDOWN = ['data', 'forward', 'backward', 'optimizer'] as const;
type Breakdown = Record<(typeof BREAKDOWN)[number], number>;

interface TorchResult {
  readonly phases: Breakdown;
  readonly threads: number;
}

interface EpochData extends BenchTable {
  readonly train: EncodedSplit;
  readonly test: EncodedSplit;
  readonly source: string;
}

/** Every this many reviews of the test split are scored, and the time scaled to the whole split. */
const SCORING_STRIDE = 10;

/** The IMDB training split and GloVe as `attnlab run` prepares them, or a stand-in of IMDB's size and lengths. */
async function epochData(): Promise<EpochData> {
  if (process.env[IMDB_ENV]) {
    const { config, container } = await resolveConfigFile('configs/q2-attention.yaml', []);
    const data = await loadData(config, container, 'configs', { progress: silentProgress, log: () => {} });
    return { train: data.train, test: data.test, vectors: data.embeddings, dim: data.dim, source: `IMDB train split, GloVe 6B 100d (vocabulary ${data.vocabulary.length})` };
  }
  const random = mulberry32(11);
  return {
    train: standInSplit(22_500, random),
    test: standInSplit(25_000, random),
    vectors: Float32Array.from({ length: STAND_IN_VOCABULARY * STAND_IN_DIM }, () => random() - 0.5),
    dim: STAND_IN_DIM,
    source: `synthetic stand-in (set ${IMDB_ENV} for IMDB and GloVe): log-normal lengths of median 230, ${STAND_IN_VOCABULARY} random vectors`,
  };
}

const STAND_IN_VOCABULARY = 20_000;
const STAND_IN_DIM = 100;

function standInSplit(reviews: number, random: () => number): EncodedSplit {
  const vocab = STAND_IN_VOCABULARY;
  const offsets = new Int32Array(reviews + 1);
  for (let i = 0; i < reviews; i++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    offsets[i + 1] = offsets[i] + Math.max(5, Math.round(230 * Math.exp(0.6 * normal)));
  }
  const ids = Int32Array.from({ length: offsets[reviews] }, () => 1 + Math.floor(Math.pow(vocab - 1, random())));
  const labels = Int32Array.from({ length: reviews }, () => (random() < 0.5 ? 0 : 1));
  return { ids, offsets, labels, size: reviews };
}

/** Every `stride`-th review of `split`. */
function everyKth(split: EncodedSplit, stride: number): EncodedSplit {
  const chosen = Array.from({ length: Math.ceil(split.size / stride) }, (_, index) => index * stride);
  const offsets = Int32Array.from([0, ...chosen]);
  chosen.forEach((example, index) => (offsets[index + 1] = offsets[index] + split.offsets[example + 1] - split.offsets[example]));
  const ids = new Int32Array(offsets[chosen.length]);
  chosen.forEach((example, index) => ids.set(split.ids.subarray(split.offsets[example], split.offsets[example + 1]), offsets[index]));
  return { ids, offsets, labels: Int32Array.from(chosen, (example) => split.labels[example]), size: chosen.length };
}

/** Seconds to score `split` as a run scores its test split: no gradient tape, batches of `train.eval_batch_size`. */
async function scoringSeconds(tf: Tf, bench: ModelBench, split: EncodedSplit, table: BenchTable): Promise<number> {
  const { config, container } = await resolveConfigFile(bench.config, parseOverrides(bench.overrides ?? []));
  const built = await buildModel(tf, config, container, { ...table, trainable: false }, 2);
  const options = { batchSize: config.train.eval_batch_size, maxLength: config.train.max_length };
  try {
    // A run scores its test split after its validation passes: kernel memories have grown to evaluation batches by then.
    evaluate(tf, built.model, everyKth(split, SCORING_STRIDE), options);
    const start = performance.now();
    evaluate(tf, built.model, split, options);
    return (performance.now() - start) / 1000;
  } finally {
    built.dispose();
  }
}

/** Every k-th of the epoch's batches by length: `count` batches with the epoch's length distribution. */
function lengthSample(batches: readonly Batch[], count: number): Batch[] {
  const byLength = [...batches].sort((a, b) => a.time - b.time);
  return Array.from({ length: Math.min(count, byLength.length) }, (_, k) => byLength[Math.floor(((k + 0.5) * byLength.length) / count)]);
}

/** The file `torch_reference.py` reads (its docstring gives the layout). */
function batchFile(table: BenchTable, batches: readonly Batch[]): Buffer {
  const parts: Buffer[] = [Buffer.from(Int32Array.of(batches.length, table.vectors.length / table.dim, table.dim).buffer), Buffer.from(table.vectors.buffer, table.vectors.byteOffset, table.vectors.byteLength)];
  for (const batch of batches) {
    parts.push(Buffer.from(Int32Array.of(batch.size, batch.time).buffer), Buffer.from(batch.labels.slice().buffer), Buffer.from(batch.lengths.slice().buffer), Buffer.from(batch.ids.slice().buffer));
  }
  return Buffer.concat(parts);
}

function hasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function runReference(file: string, reference: string): TorchResult {
  const run = spawnSync(PYTHON, [SCRIPT, file, reference, String(TORCH_THREADS)], { encoding: 'utf8', maxBuffer: 1 << 20, timeout: REFERENCE_TIMEOUT_MS });
  if (run.error !== undefined) {
    // A loaded machine can slow PyTorch's threads down by orders of magnitude: the other models still get measured.
    console.log(`  ${reference}: PyTorch did not finish its sample within ${REFERENCE_TIMEOUT_MS / 1000} s (${run.error.message}); its figures show as NaN`);
    return { phases: { data: Number.NaN, forward: Number.NaN, backward: Number.NaN, optimizer: Number.NaN }, threads: TORCH_THREADS };
  }
  if (run.status !== 0) throw new Error(`${SCRIPT} ${reference} failed (exit ${run.status}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as TorchResult;
}

/** attnlab's per-epoch phases on `threads` kernel threads: the sample's sums times `scale`. */
async function attnlabEpoch(tf: Tf, bench: ModelBench, sample: readonly Batch[], table: BenchTable, threads: number, scale: number): Promise<Breakdown> {
  await startKernelThreads(threads);
  const times = await batchTimes(tf, bench, sample, table);
  return Object.fromEntries(BREAKDOWN.map((phase) => [phase, (scale * times.reduce((total, step) => total + step[phase] + (phase === 'forward' ? step.readback : 0), 0)) / 1000])) as Breakdown;
}

const sum = (phases: Breakdown): number => BREAKDOWN.reduce((total, phase) => total + phases[phase], 0);
const load = (): string => loadavg().map((value) => value.toFixed(2)).join(' ');

export async function benchTorch(): Promise<void> {
  if (!hasTorch()) {
    console.log(`\nattnlab vs PyTorch: skipped (${PYTHON} has no torch; Debian: apt-get install python3-torch libopenblas0-pthread)`);
    return;
  }
  const { tf, backend } = await selectBackend('auto');
  const threads = availableParallelism();
  const data = await epochData();
  const epoch = [...iterateBatches(data.train, { batchSize: BATCH, maxLength: MAX_LENGTH, shuffle: true, seed: EPOCH_SEED, bucketByLength: true })];
  console.log(`\nattnlab (${backend}) vs PyTorch (${TORCH_THREADS} threads), one epoch of ${data.train.size} reviews in ${epoch.length} batches of ${BATCH}, max_length ${MAX_LENGTH}, on ${data.source}.`);
  console.log(`  Each side trains the same sample of the epoch's batches (every k-th by length) and is scaled by ${epoch.length} / sample; load average ${load()}, ${availableParallelism()} cores.`);
  const scored = everyKth(data.test, SCORING_STRIDE);
  console.log(`  Scoring: ${scored.size} of the ${data.test.size} test reviews (every ${SCORING_STRIDE}th), scaled to all of them, beside attnlab's epoch.`);
  console.log(`  ${'model'.padEnd(24)} ${'sample'.padStart(6)} ${'attnlab'.padStart(8)} ${'PyTorch'.padStart(8)} ${'ratio'.padStart(6)} ${'scoring'.padStart(8)} ${'/epoch'.padStart(6)}   per-epoch phases (s): attnlab | PyTorch`);
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-bench-torch-'));
  try {
    for (const bench of TORCH_BENCHES) {
      const sample = lengthSample(epoch, bench.sample);
      const file = join(folder, `${bench.reference}.bin`);
      writeFileSync(file, batchFile(data, sample));
      const scale = epoch.length / sample.length;
      const torch = runReference(file, bench.reference);
      const attnlab = await attnlabEpoch(tf, bench, sample, data, threads, scale);
      // One thread, where threads matter: the speed of one-core machines and `train.threads: 1`.
      const single = bench.reference.includes('lstm') || bench.reference.includes('gru') ? await attnlabEpoch(tf, bench, sample, data, 1, scale) : undefined;
      const scoring = SCORING_STRIDE * (await scoringSeconds(tf, bench, scored, data));
      const pytorch = Object.fromEntries(BREAKDOWN.map((phase) => [phase, scale * torch.phases[phase]])) as Breakdown;
      const phases = (breakdown: Breakdown) => BREAKDOWN.map((phase) => `${phase} ${breakdown[phase].toFixed(1)}`).join(', ');
      console.log(
        `  ${bench.label.padEnd(24)} ${String(sample.length).padStart(6)} ${`${sum(attnlab).toFixed(1)} s`.padStart(8)} ${`${sum(pytorch).toFixed(1)} s`.padStart(8)} ${(sum(attnlab) / sum(pytorch)).toFixed(2).padStart(6)} ${`${scoring.toFixed(1)} s`.padStart(8)} ${(scoring / sum(attnlab)).toFixed(2).padStart(6)}   ` +
          `${phases(attnlab)}, threads ${threads} | ${phases(pytorch)}, threads ${torch.threads}` +
          (single === undefined ? '' : ` | attnlab on 1 thread ${sum(single).toFixed(1)} s (${phases(single)})`),
      );
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  await startKernelThreads(undefined);
  console.log(`  load average after: ${load()}`);
}
