/**
 * `npm run bench`: the data benchmark, per-op compute costs, then each shipped config's epoch
 * time on the real plugins with its phases; with $ATTNLAB_IMDB set, also one measured epoch on
 * real IMDB for the attention-only configs; and the side-by-side comparison with PyTorch, whose
 * ratios carry the targets (`torch.ts`).
 *
 * Timings are noisy (other processes share the cores): each figure is a median over steps, and
 * ratios within one run are what to compare between runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrides } from '../src/config/load.js';
import { IMDB_ENV } from '../src/data/imdb.js';
import { selectBackend } from '../src/nn/backend.js';
import { silentProgress } from '../src/progress.js';
import { runExperiment } from '../src/run/experiment.js';
import { benchCompute } from './compute.js';
import { benchConfig } from './config.js';
import { benchData } from './data.js';
import { benchFiles } from './files.js';
import { benchSimdPaths } from './simd.js';
import { benchThreads } from './threads.js';
import { benchTorch, chooseTorchBenches } from './torch.js';
import { epochSeconds, mixTimes, MODEL_BENCHES, PHASES, TRAIN_REVIEWS, type PhaseTimes } from './train-step.js';

const REPEATS = 3;

const total = (times: PhaseTimes): number => PHASES.reduce((sum, phase) => sum + times[phase], 0);

async function benchModels(): Promise<void> {
  const { tf, backend } = await selectBackend('auto');
  console.log(`\nper-epoch training time over ${TRAIN_REVIEWS} reviews (batch 64, max_length 400, bucketed length mix), ${backend} backend:`);
  console.log('  (synthetic batches, random embeddings; `npm run bench -- torch` compares real epochs with PyTorch, side by side)');
  console.log(`  ${'model'.padEnd(24)} ${'epoch'.padStart(8)}   phases per epoch (s)`);
  for (const bench of MODEL_BENCHES) {
    const times = await mixTimes(tf, bench, REPEATS);
    const seconds = epochSeconds(total(times));
    const phases = PHASES.map((phase) => `${phase} ${epochSeconds(times[phase]).toFixed(1)}`).join(', ');
    console.log(`  ${bench.label.padEnd(24)} ${`${seconds.toFixed(1)} s`.padStart(8)}   ${phases}`);
  }
}

/** One real epoch of each attention-only config on IMDB, as `attnlab run` trains it. */
async function benchImdbEpochs(): Promise<void> {
  if (!process.env[IMDB_ENV]) {
    console.log(`\nmeasured IMDB epochs: skipped (set ${IMDB_ENV} to aclImdb_v1.tar.gz)`);
    return;
  }
  console.log('\nmeasured epoch on real IMDB (22,500 train reviews after the validation split):');
  const runs = mkdtempSync(join(tmpdir(), 'attnlab-bench-runs-'));
  try {
    for (const bench of MODEL_BENCHES.filter(({ config }) => !config.includes('q4'))) {
      const overrides = parseOverrides([...(bench.overrides ?? []), 'train.epochs=1', `tracking.uri=${runs}`]);
      const result = await runExperiment(bench.config, overrides, { progress: silentProgress, log: () => {} });
      const [epoch] = result.epochs;
      const perFullEpoch = TRAIN_REVIEWS / epoch.itemsPerSecond;
      console.log(`  ${bench.label.padEnd(24)} ${epoch.seconds.toFixed(1)} s (${Math.round(epoch.itemsPerSecond)} reviews/s → ${perFullEpoch.toFixed(1)} s per ${TRAIN_REVIEWS})`);
    }
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
}

/**
 * Live tensors (`tf.memory().numTensors`) after each epoch of a small synthetic run: a figure that
 * grows with the epoch number means a training step leaks.
 */
async function benchLiveTensors(): Promise<void> {
  const runs = mkdtempSync(join(tmpdir(), 'attnlab-bench-runs-'));
  try {
    const { tf } = await selectBackend('auto');
    const live: number[] = [];
    const overrides = parseOverrides(['data={ type: synthetic, size: 2000, test_size: 100 }', 'train.epochs=4', 'train.patience=0', `tracking.uri=${runs}`]);
    await runExperiment('configs/quickstart.yaml', overrides, { progress: silentProgress, log: (line) => line.startsWith('epoch ') && live.push(tf.memory().numTensors) });
    console.log(`
live tensors after each epoch of configs/quickstart.yaml on 2,000 synthetic reviews: ${live.join(', ')}${new Set(live.slice(1)).size === 1 ? ' (flat)' : ' (GROWING: a leak)'}`);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- <part>… [model…]` runs only the parts named; no part: all of them. Model
 * names (`lstm`, `gru`, …) pick the torch part's rows, e.g. `npm run bench -- torch lstm gru`
 * (or `npm run bench -- lstm gru`).
 */
const PARTS: Record<string, (models: readonly string[]) => Promise<void>> = {
  data: benchData,
  files: benchFiles,
  compute: () => benchCompute(),
  models: benchModels,
  imdb: benchImdbEpochs,
  tensors: benchLiveTensors,
  config: benchConfig,
  torch: benchTorch,
  threads: () => benchThreads(),
  simd: async () => benchSimdPaths(),
};
const args = process.argv.slice(2);
const models = args.filter((arg) => !(arg in PARTS));
try {
  chooseTorchBenches(models);
} catch (error) {
  throw new Error(`${(error as Error).message}; bench parts: ${Object.keys(PARTS).join(', ')}`);
}
// Model names alone mean the torch part.
const chosen = models.length > 0 && !args.some((arg) => arg in PARTS) ? ['torch'] : args.filter((arg) => arg in PARTS);
if (models.length > 0 && chosen.some((part) => part !== 'torch')) throw new Error(`models (${models.join(', ')}) pick rows of the torch part only: npm run bench -- torch ${models.join(' ')}`);
for (const [part, run] of Object.entries(PARTS)) if (chosen.length === 0 || chosen.includes(part)) await run(models);
