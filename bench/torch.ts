/**
 * `npm run bench -- torch [model…]`: attnlab beside a PyTorch implementation of the same models
 * (`bench/torch_reference.py`, run by /usr/bin/python3 when it has torch), trained on the very
 * batches attnlab's trainer makes for one epoch: the batches are exported to a file rather than
 * re-bucketed in Python. Model names (`q1 q2 q3-linear q3-mlp q5 lstm gru lstm-bi gru-bi`) pick
 * rows; none: all of them.
 *
 * A whole epoch per model and framework would take too long for one bench run: both time the same
 * sample of the epoch's batches, spread evenly over its length distribution (every k-th batch by
 * length), and scale by the epoch's batch count; each row shows the sample's mean padded length
 * beside the epoch's, the check that the sample is representative. attnlab's forward includes
 * reading the loss and probabilities back, as PyTorch's includes `loss.item()`.
 *
 * The machine is shared, so each side is timed in {@link ROUNDS} rounds that alternate between the
 * two, and its fastest round counts: load only ever adds time. PyTorch runs in each of
 * {@link TORCH_SETTINGS} and its fastest setting is the reference, so that a ratio never flatters
 * attnlab by PyTorch's thread settings: on a loaded 2-core machine torch's two OpenMP threads and
 * OpenBLAS's own pool wait for each other at every small op, and one thread can be several times
 * faster than two. glibc's allocator gives back the memory of each freed activation and page-faults
 * it in again at the next batch, which made PyTorch's steps 3× slower here; the reference runs with
 * the allocator keeping its memory (`GLIBC_TUNABLES`), as PyTorch's CPU tuning guide's advice of
 * jemalloc or tcmalloc would, where attnlab's wasm memory is allocated once.
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
import { kernelThreads, startKernelThreads, type PhaseProfile } from '../src/nn/threads/pool.js';
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
/** A reference model's sample should take well under a minute on an idle machine. */
const REFERENCE_TIMEOUT_MS = 600_000;
const ROUNDS = 3;
const BIDIRECTIONAL = ['model.encoder.bidirectional=true'];

/** How PyTorch runs: torch's threads and OpenBLAS's, each set the same way in the environment. */
interface TorchSetting {
  readonly label: string;
  readonly threads: number;
  readonly blasThreads: number;
}

export const TORCH_SETTINGS: readonly TorchSetting[] = [
  { label: '2 threads', threads: 2, blasThreads: 2 },
  { label: '2 threads, BLAS 1', threads: 2, blasThreads: 1 },
  { label: '1 thread', threads: 1, blasThreads: 1 },
];

/** glibc keeps freed memory below 32 MB in its heap instead of unmapping it (see the top comment). */
const KEEP_FREED_MEMORY = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296';

/** The ratio attnlab / PyTorch each model must reach, and scoring seconds / attnlab's epoch. */
const ATTENTION_TARGET = 1.0;
const RECURRENT_TARGET = 0.6;
const SCORING_TARGET = 0.3;

interface TorchBench extends ModelBench {
  /** The model's name in `torch_reference.py`, and on the command line. */
  readonly reference: string;
  /** How many of the epoch's batches both sides time. */
  readonly sample: number;
  /** Recurrent models: threads matter, their target is lower, and attnlab is also timed on one thread. */
  readonly recurrent: boolean;
}

const ATTENTION_SAMPLE = 32;
const RECURRENT_SAMPLE = 16;

const attention = (label: string, config: string, reference: string, overrides?: readonly string[]): TorchBench => ({ label, config, reference, overrides, sample: ATTENTION_SAMPLE, recurrent: false });
const recurrent = (label: string, config: string, reference: string, overrides?: readonly string[]): TorchBench => ({ label, config, reference, overrides, sample: RECURRENT_SAMPLE, recurrent: true });

export const TORCH_BENCHES: readonly TorchBench[] = [
  attention('q1 mean', 'configs/q1-mean.yaml', 'q1'),
  attention('q2 attention', 'configs/q2-attention.yaml', 'q2'),
  attention('q3 query + linear value', 'configs/q3-query-value.yaml', 'q3-linear', ['model.value={ type: linear, activation: tanh }']),
  attention('q3 query + MLP value', 'configs/q3-query-value.yaml', 'q3-mlp'),
  attention('q5 entropy', 'configs/q5-entropy.yaml', 'q5'),
  recurrent('q4 lstm 64', 'configs/q4-lstm-attention.yaml', 'lstm'),
  recurrent('q4 gru 64', 'configs/q4-gru-attention.yaml', 'gru'),
  recurrent('q4 bi-lstm 64', 'configs/q4-lstm-attention.yaml', 'lstm-bi', BIDIRECTIONAL),
  recurrent('q4 bi-gru 64', 'configs/q4-gru-attention.yaml', 'gru-bi', BIDIRECTIONAL),
];

/** The rows `names` pick (all of them when none), or an error naming the unknown ones and the known. */
export function chooseTorchBenches(names: readonly string[]): readonly TorchBench[] {
  const known = TORCH_BENCHES.map(({ reference }) => reference);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`unknown model ${unknown.join(', ')} for the torch bench; models: ${known.join(', ')}`);
  return names.length === 0 ? TORCH_BENCHES : TORCH_BENCHES.filter(({ reference }) => names.includes(reference));
}

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

/** Every this many reviews of the test split make the warm-up passes' split, as many as a validation split. */
const VALIDATION_STRIDE = 10;
/** Validation passes before the timed ones: a run with three epochs has made as many before it scores its test split. */
const WARM_UP_PASSES = 3;
/**
 * Timed passes over the whole test split; the fastest counts, as load only ever adds time. A
 * fraction of the split scaled up would overstate the time: a pass projects each word it meets
 * once, whatever the number of reviews it scores.
 */
const SCORING_ROUNDS = 2;

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

/**
 * Seconds to score `test` as a run scores its test split, after passes over `validation`: no
 * gradient tape, batches of `train.eval_batch_size` and `train.eval_batch_tokens`.
 */
async function scoringSeconds(tf: Tf, bench: ModelBench, validation: EncodedSplit, test: EncodedSplit, table: BenchTable): Promise<number> {
  const { config, container } = await resolveConfigFile(bench.config, parseOverrides(bench.overrides ?? []));
  const built = await buildModel(tf, config, container, { ...table, trainable: false }, 2);
  const options = { batchSize: config.train.eval_batch_size, batchTokens: config.train.eval_batch_tokens, maxLength: config.train.max_length };
  try {
    // A run scores its test split after a validation pass per epoch: by then kernel memories have
    // grown to evaluation batches, and the engine has compiled the scoring path's code optimised.
    for (let pass = 0; pass < WARM_UP_PASSES; pass++) evaluate(tf, built.model, validation, options);
    const timed = Array.from({ length: SCORING_ROUNDS }, () => {
      const start = performance.now();
      evaluate(tf, built.model, test, options);
      return (performance.now() - start) / 1000;
    });
    return Math.min(...timed);
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

/** The reference's own proof that its unpacked recurrent encoders equal packed sequences: its lines, or an error. */
function checkReference(): string {
  const run = spawnSync(PYTHON, [SCRIPT, '--check'], { encoding: 'utf8', timeout: REFERENCE_TIMEOUT_MS });
  if (run.status !== 0) throw new Error(`${SCRIPT} --check failed (exit ${run.status}): the PyTorch reference would not train the models attnlab trains\n${run.stdout}${run.stderr}`);
  return run.stdout.trim();
}

const NOT_FINISHED: Breakdown = { data: Number.NaN, forward: Number.NaN, backward: Number.NaN, optimizer: Number.NaN };

function runReference(file: string, reference: string, setting: TorchSetting): Breakdown {
  const env = { ...process.env, OMP_NUM_THREADS: String(setting.threads), OPENBLAS_NUM_THREADS: String(setting.blasThreads), GLIBC_TUNABLES: KEEP_FREED_MEMORY };
  const run = spawnSync(PYTHON, [SCRIPT, file, reference, String(setting.threads)], { encoding: 'utf8', env, maxBuffer: 1 << 20, timeout: REFERENCE_TIMEOUT_MS });
  if (run.error !== undefined) {
    // A loaded machine can slow PyTorch's threads down by orders of magnitude: the other settings and models still get measured.
    console.log(`  ${reference} (${setting.label}): PyTorch did not finish its sample within ${REFERENCE_TIMEOUT_MS / 1000} s (${run.error.message})`);
    return NOT_FINISHED;
  }
  if (run.status !== 0) throw new Error(`${SCRIPT} ${reference} failed (exit ${run.status}): ${run.stderr.trim()}`);
  const result = JSON.parse(run.stdout) as TorchResult;
  if (result.threads !== setting.threads) throw new Error(`${SCRIPT} ${reference} ran on ${result.threads} threads, not ${setting.threads}`);
  return result.phases;
}

/** attnlab's phases over a sample, and the part of them the kernel threads spent coordinating. */
interface AttnlabTimes {
  readonly phases: Breakdown;
  /** Waiting for the other kernel threads to finish their rows, and adding up their weight gradients. */
  readonly coordination: number;
}

/** Profile phases of the kernel threads that are coordination rather than computation (see `pool.ts`, `recurrent.ts`). */
const COORDINATION = /waiting for threads|gradient reduction/;

/** attnlab's phases on `threads` kernel threads, summed over the sample. */
async function attnlabSample(tf: Tf, bench: ModelBench, sample: readonly Batch[], table: BenchTable, threads: number): Promise<AttnlabTimes> {
  await startKernelThreads(threads);
  const profile: PhaseProfile = new Map();
  try {
    const times = await batchTimes(tf, bench, sample, table, () => (kernelThreads().profile = profile));
    const phases = Object.fromEntries(BREAKDOWN.map((phase) => [phase, times.reduce((total, step) => total + step[phase] + (phase === 'forward' ? step.readback : 0), 0) / 1000])) as Breakdown;
    const coordination = [...profile].reduce((total, [phase, ms]) => (COORDINATION.test(phase) ? total + ms : total), 0) / 1000;
    return { phases, coordination };
  } finally {
    kernelThreads().profile = undefined;
  }
}

const sum = (phases: Breakdown): number => BREAKDOWN.reduce((total, phase) => total + phases[phase], 0);
const scaled = (phases: Breakdown, scale: number): Breakdown => Object.fromEntries(BREAKDOWN.map((phase) => [phase, scale * phases[phase]])) as Breakdown;
/** The fastest of `rounds` (NaN, a round that did not finish, never counts unless all are). */
const fastest = (rounds: readonly Breakdown[]): Breakdown => rounds.reduce((best, round) => (Number.isNaN(sum(best)) || sum(round) < sum(best) ? round : best));
const fastestAttnlab = (rounds: readonly AttnlabTimes[], scale: number): AttnlabTimes => {
  const best = rounds.reduce((chosen, round) => (sum(round.phases) < sum(chosen.phases) ? round : chosen));
  return { phases: scaled(best.phases, scale), coordination: scale * best.coordination };
};
const load = (): string => loadavg().map((value) => value.toFixed(1)).join(' ');
const phaseList = (breakdown: Breakdown): string => BREAKDOWN.map((phase) => `${phase} ${breakdown[phase].toFixed(1)}`).join(', ');
const seconds = (value: number): string => `${value.toFixed(1)} s`;
const verdict = (ratio: number, target: number): string => `≤${target.toFixed(1)} ${Number.isNaN(ratio) ? '?' : ratio <= target ? 'pass' : 'FAIL'}`;
/** Mean padded tokens (rows × time) per batch. */
const meanTokens = (batches: readonly Batch[]): number => batches.reduce((total, batch) => total + batch.size * batch.time, 0) / batches.length;

interface ModelTimes {
  /** Per-epoch phases of attnlab's fastest round on all cores, and on one thread (recurrent models). */
  readonly attnlab: AttnlabTimes;
  readonly single?: AttnlabTimes;
  /** Per-epoch phases of PyTorch's fastest round, per setting of {@link TORCH_SETTINGS}. */
  readonly torch: readonly Breakdown[];
}

/** Both sides on `sample`, in alternating rounds, scaled to the epoch. */
async function timeModel(tf: Tf, bench: TorchBench, sample: readonly Batch[], data: EpochData, file: string, scale: number): Promise<ModelTimes> {
  const threads = availableParallelism();
  const torch: Breakdown[][] = TORCH_SETTINGS.map(() => []);
  const attnlab: AttnlabTimes[] = [];
  const single: AttnlabTimes[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    TORCH_SETTINGS.forEach((setting, index) => torch[index].push(runReference(file, bench.reference, setting)));
    attnlab.push(await attnlabSample(tf, bench, sample, data, threads));
    // One thread, where threads matter: the speed of one-core machines and `train.threads: 1`.
    if (bench.recurrent) single.push(await attnlabSample(tf, bench, sample, data, 1));
  }
  return {
    attnlab: fastestAttnlab(attnlab, scale),
    single: bench.recurrent ? fastestAttnlab(single, scale) : undefined,
    torch: torch.map((rounds) => scaled(fastest(rounds), scale)),
  };
}

const COLUMNS = `  ${'model'.padEnd(24)} ${'sample'.padStart(6)} ${'attnlab'.padStart(8)} ${'PyTorch'.padStart(8)} ${'ratio'.padStart(6)} ${'target'.padStart(10)} ${'scoring'.padStart(8)} ${'/epoch'.padStart(6)} ${'target'.padStart(10)}   load`;

function printModel(bench: TorchBench, sample: readonly Batch[], epoch: readonly Batch[], times: ModelTimes, scoring: number): void {
  const best = times.torch.reduce((chosen, phases, index) => (Number.isNaN(sum(times.torch[chosen])) || sum(phases) < sum(times.torch[chosen]) ? index : chosen), 0);
  const attnlab = sum(times.attnlab.phases);
  const pytorch = sum(times.torch[best]);
  const ratio = attnlab / pytorch;
  console.log(
    `  ${bench.label.padEnd(24)} ${String(sample.length).padStart(6)} ${seconds(attnlab).padStart(8)} ${seconds(pytorch).padStart(8)} ${ratio.toFixed(2).padStart(6)} ${verdict(ratio, bench.recurrent ? RECURRENT_TARGET : ATTENTION_TARGET).padStart(10)} ` +
      `${seconds(scoring).padStart(8)} ${(scoring / attnlab).toFixed(2).padStart(6)} ${verdict(scoring / attnlab, SCORING_TARGET).padStart(10)}   ${load()}`,
  );
  const threads = `, of which the threads waiting for each other and adding up gradients ${times.attnlab.coordination.toFixed(1)}`;
  console.log(`      attnlab, ${availableParallelism()} threads: ${phaseList(times.attnlab.phases)}${bench.recurrent ? threads : ''}`);
  if (times.single !== undefined) console.log(`      attnlab, 1 thread: ${seconds(sum(times.single.phases))} (${phaseList(times.single.phases)})`);
  const settings = TORCH_SETTINGS.map(({ label }, index) => `${label} ${seconds(sum(times.torch[index]))}`).join(', ');
  console.log(`      PyTorch, ${TORCH_SETTINGS[best].label}: ${phaseList(times.torch[best])} (settings: ${settings})`);
  console.log(`      sample's mean padded tokens per batch ${meanTokens(sample).toFixed(0)}, the epoch's ${meanTokens(epoch).toFixed(0)}`);
}

export async function benchTorch(models: readonly string[] = []): Promise<void> {
  const benches = chooseTorchBenches(models);
  if (!hasTorch()) {
    console.log(`\nattnlab vs PyTorch: skipped (${PYTHON} has no torch; Debian: apt-get install python3-torch libopenblas0-pthread)`);
    return;
  }
  const { tf, backend } = await selectBackend('auto');
  const data = await epochData();
  const epoch = [...iterateBatches(data.train, { batchSize: BATCH, maxLength: MAX_LENGTH, shuffle: true, seed: EPOCH_SEED, bucketByLength: true })];
  console.log(`\nattnlab (${backend}) vs PyTorch, one epoch of ${data.train.size} reviews in ${epoch.length} batches of ${BATCH}, max_length ${MAX_LENGTH}, on ${data.source}; ${availableParallelism()} cores.`);
  console.log(`  PyTorch reference check (unpacked recurrent encoders against packed sequences, float64):\n${checkReference().replace(/^/gm, '    ')}`);
  console.log(`  Each side trains the same sample of the epoch's batches (every k-th by length), scaled by ${epoch.length} / sample; the fastest of ${ROUNDS} alternating rounds counts.`);
  console.log(`  PyTorch: the fastest of its settings (${TORCH_SETTINGS.map(({ label }) => label).join('; ')}). Targets: ratio ≤ ${ATTENTION_TARGET.toFixed(1)} (attention models), ≤ ${RECURRENT_TARGET} (recurrent).`);
  const validation = everyKth(data.test, VALIDATION_STRIDE);
  console.log(`  Scoring: attnlab scores ${validation.size} test reviews (every ${VALIDATION_STRIDE}th, as many as a validation split) ${WARM_UP_PASSES} times as a run's validation passes would, then all ${data.test.size} ${SCORING_ROUNDS} times timed; the fastest counts. /epoch is that over attnlab's epoch (target ≤ ${SCORING_TARGET}).`);
  console.log(`  Seconds per epoch; load average (1, 5, 15 min) after each row. Load average before: ${load()}.`);
  console.log(COLUMNS);
  const folder = mkdtempSync(join(tmpdir(), 'attnlab-bench-torch-'));
  try {
    for (const bench of benches) {
      const sample = lengthSample(epoch, bench.sample);
      const file = join(folder, `${bench.reference}.bin`);
      writeFileSync(file, batchFile(data, sample));
      const times = await timeModel(tf, bench, sample, data, file, epoch.length / sample.length);
      await startKernelThreads(undefined);
      const scoring = await scoringSeconds(tf, bench, validation, data.test, data);
      printModel(bench, sample, epoch, times, scoring);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  await startKernelThreads(undefined);
}
