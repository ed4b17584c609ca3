import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { AttnlabError } from '../../src/errors.js';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { KernelThreads, kernelThreadCount, kernelThreads, setKernelThreads } from '../../src/nn/threads/pool.js';
import { parseOverrides } from '../../src/config/load.js';
import { silentProgress } from '../../src/progress.js';
import { runExperiment } from '../../src/run/experiment.js';
import { layoutRecurrence, rowRanges, type RecurrentDims } from '../../src/nn/wasm/recurrent-steps.js';
import { mulberry32 } from '../../src/data/random.js';
import { assertClose, recurrenceProblem, RECURRENCE, uniform, type Cell } from '../helpers/recurrence.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);
const { input: INPUT, hidden: HIDDEN, time: TIME } = RECURRENCE;

/** Random inputs, weights and loss weights; row r is real for a random length of 1 … TIME tokens. */
function problem(cell: Cell, batch: number, seed: number) {
  const random = mulberry32(seed);
  return recurrenceProblem(cell, batch, random, () => ({ x: uniform(random, batch * TIME * INPUT, 1) }));
}

interface Result {
  readonly outputs: Float32Array;
  readonly gradients: Float32Array[];
}

/** Outputs and the gradients of Σ outputs ⊙ lossWeights by x, W, U and b, on `threads` threads. */
function run(cell: Cell, reverse: boolean, data: ReturnType<typeof problem>, threads: number): Result {
  setKernelThreads(threads);
  return tf.tidy(() => {
    const variable = <T extends tfjs.Tensor>(tensor: T) => tf.variable(tensor, true, `threads-${variableCount++}`);
    const x = variable(tf.tensor3d(data.x, [data.batch, TIME, INPUT]));
    const weights = {
      kernel: variable(tf.tensor2d(data.kernel, [INPUT, data.width])),
      recurrentKernel: variable(tf.tensor2d(data.recurrentKernel, [HIDDEN, data.width])),
      bias: variable(tf.tensor1d(data.bias)),
    };
    const mask = tf.tensor2d(data.mask, [data.batch, TIME]);
    const lossWeights = tf.tensor3d(data.lossWeights, [data.batch, TIME, HIDDEN]);
    const forward = () => nn[cell](x as tfjs.Tensor as tfjs.Tensor3D, mask, weights, { reverse });
    const outputs = forward().dataSync() as Float32Array;
    const trained = [x, weights.kernel, weights.recurrentKernel, weights.bias];
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(), lossWeights)) as tfjs.Scalar, trained);
    const gradients = trained.map((v) => grads[v.name].dataSync() as Float32Array);
    tf.dispose(trained);
    return { outputs, gradients };
  });
}

let variableCount = 0;

test.after.always(() => setKernelThreads(1));

// Batches of one row, odd sizes, one more row than a block, and more threads than row blocks.
const CASES: readonly (readonly [batch: number, threads: number])[] = [
  [1, 2],
  [1, 4],
  [5, 2],
  [7, 3],
  [13, 2],
  [13, 8],
];

for (const cell of ['lstm', 'gru'] as const) {
  for (const reverse of [false, true]) {
    for (const [batch, threads] of CASES) {
      test.serial(`${cell}${reverse ? ' reverse' : ''}, ${batch} rows on ${threads} threads: the outputs and gradients of one thread`, (t) => {
        const data = problem(cell, batch, 31 * batch + threads);
        const single = run(cell, reverse, data, 1);
        const split = run(cell, reverse, data, threads);
        // Each row is computed whole by one thread: the outputs are the same floats.
        t.deepEqual(split.outputs, single.outputs);
        ['x', 'kernel', 'recurrent kernel', 'bias'].forEach((name, index) => assertClose(t, split.gradients[index], single.gradients[index], `gradient of ${name}`));
      });
    }
  }
}

test('rows split into whole row blocks, one range per thread at most, covering the batch once', (t) => {
  const dims = (batch: number): RecurrentDims => ({ cell: 'lstm', batch, time: 1, input: 4, hidden: 8, gates: 4, paddedBatch: Math.ceil(batch / 4) * 4, paddedInput: 4, paddedHidden: 8, byToken: false, distinct: 0, paddedDistinct: 0, taped: true });
  t.deepEqual(rowRanges(dims(13), 2), [
    { start: 0, end: 8 },
    { start: 8, end: 13 },
  ]);
  t.deepEqual(rowRanges(dims(5), 8), [
    { start: 0, end: 4 },
    { start: 4, end: 5 },
  ]);
  t.deepEqual(rowRanges(dims(1), 4), [{ start: 0, end: 1 }]);
});

test.serial('a kernel thread that fails is an error of the call, and the next call gets fresh threads', (t) => {
  const dims: RecurrentDims = { cell: 'gru', batch: 64, time: 50, input: 100, hidden: 64, gates: 3, paddedBatch: 64, paddedInput: 100, paddedHidden: 64, byToken: false, distinct: 0, paddedDistinct: 0, taped: true };
  const { layout } = layoutRecurrence(dims, 2);
  // The layout spans far more than a new pool's memory: the worker's kernels trap out of bounds.
  const threads = new KernelThreads(2);
  let ownRan = false;
  const error = t.throws(() => threads.run([{ kind: 'recurrent-forward', dims, layout, reverse: false, range: { start: 32, end: 64 }, slot: 1 }], () => (ownRan = true)), { instanceOf: AttnlabError });
  t.is(error?.code, 'kernel-thread-failed');
  t.regex(error?.message ?? '', /kernel thread 1 failed: (Invalid typed array length|.*out of bounds)/);
  t.true(ownRan);
  t.false(threads.usable);
  setKernelThreads(2);
  const data = problem('lstm', 9, 3);
  t.deepEqual(run('lstm', false, data, 2).outputs, run('lstm', false, data, 1).outputs);
});

test.serial('a kernel thread that has exited is an error, not a wait', async (t) => {
  setKernelThreads(2);
  const pool = kernelThreads();
  await pool.ready();
  const [worker] = pool.threads;
  await new Promise((resolve) => {
    worker.once('exit', resolve);
    void worker.terminate();
  });
  const error = t.throws(() => pool.run([], () => {}), { instanceOf: AttnlabError });
  t.is(error?.code, 'kernel-thread-failed');
  t.regex(error?.message ?? '', /kernel thread 1 exited/);
});

test.serial('train.threads sets the kernel threads of a run, which its log states', async (t) => {
  const runs = mkdtempSync(join(tmpdir(), 'attnlab-threads-'));
  try {
    for (const threads of [1, 2]) {
      const lines: string[] = [];
      const overrides = parseOverrides(['data={ type: synthetic, size: 200, test_size: 50 }', 'train.epochs=1', `train.threads=${threads}`, `tracking.uri=${runs}`]);
      await runExperiment('configs/quickstart.yaml', overrides, { progress: silentProgress, log: (line) => lines.push(line) });
      t.true(lines.includes(`kernel threads: ${threads}`), lines.join('\n'));
      t.is(kernelThreadCount(), threads);
    }
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
