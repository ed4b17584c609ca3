/**
 * The kernels' memory is reused across calls of every size: it grows only for a call larger than
 * any before, never shrinks, keeps live regions apart, and what a call leaves behind never
 * changes the next one's results.
 */
import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { KernelArena, type ArenaRegion } from '../../src/nn/threads/arena.js';
import { kernelThreads, setKernelThreads } from '../../src/nn/threads/pool.js';
import { mulberry32 } from '../../src/data/random.js';

// The backend first: every test is declared after it, as ava requires of a file's tests.
const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);
const PAGE = 65_536;

for (const shared of [false, true]) {
  const kind = shared ? 'a shared arena' : 'an arena';

  test(`${kind} grows only for a call larger than any before, by the pages it lacks, and never shrinks`, (t) => {
    const arena = new KernelArena(shared);
    const sizes: number[] = [];
    for (const bytes of [3 * PAGE + 5, 10 * PAGE, 2 * PAGE, 10 * PAGE, 10 * PAGE + 1, 100]) {
      const region = arena.allocate(bytes);
      t.is(region.address, 0, 'an empty arena starts every call at its bottom');
      sizes.push(arena.size);
      arena.release(region);
      t.is(arena.used, 0);
    }
    t.deepEqual(sizes, [4 * PAGE, 10 * PAGE, 10 * PAGE, 10 * PAGE, 11 * PAGE, 11 * PAGE]);
  });

  test(`${kind} keeps live regions apart, on cache lines, and reuses what was released`, (t) => {
    const arena = new KernelArena(shared);
    const random = mulberry32(7);
    const live = new Set<ArenaRegion>();
    for (let call = 0; call < 200; call++) {
      if (live.size > 0 && random() < 0.4) {
        const [released] = [...live].sort(() => random() - 0.5);
        arena.release(released);
        live.delete(released);
      }
      const region = arena.allocate(1 + Math.floor(random() * 3 * PAGE));
      t.is(region.address % 64, 0);
      t.true(region.address + region.bytes <= arena.size);
      for (const other of live) t.true(region.address >= other.address + other.bytes || other.address >= region.address + region.bytes, `${JSON.stringify(region)} overlaps ${JSON.stringify(other)}`);
      live.add(region);
    }
    for (const region of live) arena.release(region);
    const highest = arena.size;
    t.is(arena.allocate(PAGE).address, 0);
    t.is(arena.size, highest, 'a smaller call after larger ones grows nothing');
  });

  test(`${kind}: releaseOthers frees the regions of other holders only, not the current one's nor unheld ones`, (t) => {
    const arena = new KernelArena(shared);
    const [tapeA, tapeB] = [{}, {}];
    const unheld = arena.allocate(1000);
    const ofA = arena.allocate(1000, tapeA);
    const ofB = arena.allocate(1000, tapeB);
    arena.releaseOthers(tapeA);
    t.is(arena.used, ofA.address + ofA.bytes);
    t.is(arena.allocate(1000, tapeA).address, ofB.address, "B's region is free for the next call");
    arena.releaseOthers(tapeB);
    t.is(arena.used, unheld.address + unheld.bytes, "A's regions went, the unheld one stayed");
    arena.releaseOthers(undefined);
    t.is(arena.used, unheld.address + unheld.bytes);
    arena.release(unheld);
    t.is(arena.used, 0);
  });
}

const INPUT = 6;
const HIDDEN = 10;
const TIME = 7;
let variableCount = 0;

/** The outputs of `cell` on `batch` random rows and the gradients of Σ outputs ⊙ random weights by x, W, U and b. */
function runCell(cell: 'lstm' | 'gru', batch: number, bidirectional: boolean): Float32Array[] {
  const random = mulberry32(1000 * batch + (cell === 'gru' ? 1 : 0));
  const values = (length: number, scale: number) => Float32Array.from({ length }, () => (random() - 0.5) * 2 * scale);
  const width = (cell === 'lstm' ? 4 : 3) * HIDDEN;
  const lengths = Array.from({ length: batch }, () => 1 + Math.floor(random() * TIME));
  return tf.tidy(() => {
    const variable = <T extends tfjs.Tensor>(tensor: T) => tf.variable(tensor, true, `kernel-memory-${variableCount++}`);
    const x = variable(tf.tensor3d(values(batch * TIME * INPUT, 1), [batch, TIME, INPUT]));
    const weights = {
      kernel: variable(tf.tensor2d(values(INPUT * width, 0.4), [INPUT, width])),
      recurrentKernel: variable(tf.tensor2d(values(HIDDEN * width, 0.4), [HIDDEN, width])),
      bias: variable(tf.tensor1d(values(width, 0.3))),
    };
    const mask = tf.tensor2d(Float32Array.from({ length: batch * TIME }, (_, index) => Number(index % TIME < lengths[Math.floor(index / TIME)])), [batch, TIME]);
    const lossWeights = tf.tensor3d(values(batch * TIME * HIDDEN, 1), [batch, TIME, HIDDEN]);
    const forward = (reverse: boolean) => nn[cell](x as tfjs.Tensor as tfjs.Tensor3D, mask, weights, { reverse });
    // Both directions at once: two recurrences hold regions of the arena together.
    const outputs = (): tfjs.Tensor => (bidirectional ? tf.add(forward(false), forward(true)) : forward(false));
    const scored = outputs().dataSync() as Float32Array;
    const trained = [x, weights.kernel, weights.recurrentKernel, weights.bias];
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(outputs(), lossWeights)) as tfjs.Scalar, trained);
    const gradients = trained.map((v) => grads[v.name].dataSync() as Float32Array);
    tf.dispose(trained);
    return [scored, ...gradients];
  });
}

/** A pool of `threads` threads with a memory no call has used yet. */
function freshPool(threads: number): void {
  setKernelThreads(threads === 1 ? 2 : 1);
  setKernelThreads(threads);
}

test.after.always(() => setKernelThreads(1));

// Growing, then shrinking, then growing past the largest: each call meets what larger and smaller ones left.
const BATCHES = [2, 9, 33, 64, 17, 5, 1, 40, 70, 3];

for (const cell of ['lstm', 'gru'] as const) {
  for (const bidirectional of [false, true]) {
    for (const threads of [1, 2]) {
      test.serial(`${cell}${bidirectional ? ', both directions' : ''} on ${threads} thread(s): batches of growing then shrinking sizes give what a fresh pool gives`, (t) => {
        const expected = BATCHES.map((batch) => {
          freshPool(threads);
          return runCell(cell, batch, bidirectional);
        });
        freshPool(threads);
        const pool = kernelThreads();
        const sizes: number[] = [];
        BATCHES.forEach((batch, index) => {
          t.deepEqual(runCell(cell, batch, bidirectional), expected[index], `batch of ${batch} after ${BATCHES.slice(0, index).join(', ')}`);
          sizes.push(pool.arena.size);
        });
        t.is(kernelThreads(), pool, 'every batch ran on the same pool and memory');
        // The memory follows the largest batch so far: it never shrinks, and smaller batches leave it alone.
        const largestSoFar = BATCHES.map((_, index) => Math.max(...BATCHES.slice(0, index + 1)));
        sizes.forEach((size, index) => {
          if (index === 0) return;
          if (largestSoFar[index] === largestSoFar[index - 1]) t.is(size, sizes[index - 1], `batch of ${BATCHES[index]} grew the memory`);
          else t.true(size >= sizes[index - 1]);
        });
        t.true(sizes.at(-1)! > sizes[0], 'the largest batches needed more memory than the first');
      });
    }
  }
}
