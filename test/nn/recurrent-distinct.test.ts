import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { whileScoring } from '../../src/nn/scoring-pass.js';
import { valuesOf } from '../../src/nn/values.js';
import { kernelThreads, setKernelThreads } from '../../src/nn/threads/pool.js';
import { mulberry32 } from '../../src/data/random.js';
import { assertClose, recurrenceProblem, RECURRENCE, uniform, type Cell } from '../helpers/recurrence.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);
const { input: INPUT, hidden: HIDDEN, time: TIME } = RECURRENCE;
/** Few tokens: every batch repeats some, and a single row has fewer distinct tokens than a row block of some thread's share. */
const VOCAB = 6;
const PROJECTION = 'forward: distinct projection: own rows';

/** Random token ids, a table, weights and loss weights; row r is real for a random length of 1 … TIME tokens. */
function problem(cell: Cell, batch: number, seed: number) {
  const random = mulberry32(seed);
  return recurrenceProblem(cell, batch, random, () => ({ ids: Int32Array.from({ length: batch * TIME }, () => Math.floor(random() * VOCAB)), table: uniform(random, VOCAB * INPUT, 1) }));
}
type Problem = ReturnType<typeof problem>;

/** How the layer's input is made from the lookup: the lookup itself, or the lookup times 1 (another tensor). */
type Input = 'lookup' | 'lookup × 1';

interface Result {
  readonly taped: Float32Array;
  readonly untaped: Float32Array;
  /** Of Σ outputs ⊙ lossWeights by W, U, b (and x when asked). */
  readonly gradients: Float32Array[];
  /** Whether the forward passes projected distinct rows. */
  readonly projected: boolean;
}

let variableCount = 0;

function run(cell: Cell, reverse: boolean, data: Problem, threads: number, input: Input, gradientOfX: boolean): Result {
  setKernelThreads(threads);
  const profile = new Map<string, number>();
  kernelThreads().profile = profile;
  try {
    return tf.tidy(() => {
      const variable = <T extends tfjs.Tensor>(tensor: T) => tf.variable(tensor, true, `distinct-${variableCount++}`);
      const weights = {
        kernel: variable(tf.tensor2d(data.kernel, [INPUT, data.width])),
        recurrentKernel: variable(tf.tensor2d(data.recurrentKernel, [HIDDEN, data.width])),
        bias: variable(tf.tensor1d(data.bias)),
      };
      const lookup = nn.embed(tf.tensor2d(data.ids, [data.batch, TIME], 'int32'), tf.tensor2d(data.table, [VOCAB, INPUT]));
      const x = input === 'lookup' ? lookup : (tf.mul(lookup, 1) as tfjs.Tensor3D);
      const mask = tf.tensor2d(data.mask, [data.batch, TIME]);
      const lossWeights = tf.tensor3d(data.lossWeights, [data.batch, TIME, HIDDEN]);
      const untaped = nn[cell](x, mask, weights, { reverse }).dataSync() as Float32Array;
      let taped: Float32Array = new Float32Array();
      const loss = (...args: tfjs.Tensor[]) => {
        const [kernel, recurrentKernel, bias, inputs] = args as [tfjs.Variable, tfjs.Variable, tfjs.Variable, tfjs.Tensor3D | undefined];
        const outputs = nn[cell](inputs ?? x, mask, { kernel, recurrentKernel, bias }, { reverse });
        taped = outputs.dataSync() as Float32Array;
        return tf.sum(tf.mul(outputs, lossWeights)) as tfjs.Scalar;
      };
      const trained = [weights.kernel, weights.recurrentKernel, weights.bias, ...(gradientOfX ? [x] : [])];
      const gradients = tf.grads(loss)(trained).map((gradient) => gradient.dataSync() as Float32Array);
      tf.dispose([weights.kernel, weights.recurrentKernel, weights.bias]);
      return { taped, untaped, gradients, projected: profile.has(PROJECTION) };
    });
  } finally {
    kernelThreads().profile = undefined;
  }
}

test.after.always(() => setKernelThreads(1));

// One row, odd sizes, one more row than a block, more threads than row blocks (and than distinct rows' blocks).
const CASES: readonly (readonly [batch: number, threads: number])[] = [
  [1, 1],
  [5, 1],
  [1, 2],
  [5, 2],
  [7, 3],
  [13, 2],
  [13, 8],
];
const NAMES = ['kernel', 'recurrent kernel', 'bias', 'x'];

for (const cell of ['lstm', 'gru'] as const) {
  for (const reverse of [false, true]) {
    for (const [batch, threads] of CASES) {
      const gradientOfX = batch % 2 === 1 && threads !== 2;
      test.serial(`${cell}${reverse ? ' reverse' : ''}, ${batch} rows on ${threads} threads: a frozen lookup's distinct rows give the per-position path's outputs and gradients${gradientOfX ? ' (x too)' : ''}`, (t) => {
        const data = problem(cell, batch, 17 * batch + threads + (reverse ? 5 : 0));
        const perPosition = run(cell, reverse, data, 1, 'lookup × 1', gradientOfX);
        const distinct = run(cell, reverse, data, threads, 'lookup', gradientOfX);
        t.true(distinct.projected);
        t.false(perPosition.projected);
        assertClose(t, distinct.taped, perPosition.taped, 'outputs');
        t.is(distinct.gradients.length, perPosition.gradients.length);
        distinct.gradients.forEach((gradient, index) => assertClose(t, gradient, perPosition.gradients[index], `gradient of ${NAMES[index]}`));
        // Without a tape, the forward pass stores less but computes the same floats.
        t.deepEqual(distinct.untaped, distinct.taped);
        t.deepEqual(perPosition.untaped, perPosition.taped);
      });
    }
  }
}

test.serial('an op between the lookup and the layer takes the per-position path, on the values it made', (t) => {
  const data = problem('lstm', 7, 3);
  setKernelThreads(2);
  const profile = new Map<string, number>();
  kernelThreads().profile = profile;
  try {
    tf.tidy(() => {
      const weights = {
        kernel: tf.variable(tf.tensor2d(data.kernel, [INPUT, data.width])),
        recurrentKernel: tf.variable(tf.tensor2d(data.recurrentKernel, [HIDDEN, data.width])),
        bias: tf.variable(tf.tensor1d(data.bias)),
      };
      const ids = tf.tensor2d(data.ids, [data.batch, TIME], 'int32');
      const table = tf.tensor2d(data.table, [VOCAB, INPUT]);
      const mask = tf.tensor2d(data.mask, [data.batch, TIME]);
      const encode = (x: tfjs.Tensor3D) => nn.lstm(x, mask, weights).dataSync() as Float32Array;
      const doubled = encode(tf.mul(nn.embed(ids, table), 2) as tfjs.Tensor3D);
      const dropped = nn.dropout(nn.embed(ids, table), 0.5, 11);
      const fromDropped = encode(dropped);
      t.false(profile.has(PROJECTION));
      // The same values as plain tensors (the doubled ones through a doubled table's lookup).
      t.deepEqual(fromDropped, encode(tf.tensor3d(dropped.dataSync() as Float32Array, dropped.shape)));
      assertClose(t, doubled, encode(nn.embed(ids, tf.mul(table, 2) as tfjs.Tensor2D)), 'outputs of the doubled lookup');
      t.true(profile.has(PROJECTION));
      tf.dispose([weights.kernel, weights.recurrentKernel, weights.bias]);
    });
  } finally {
    kernelThreads().profile = undefined;
  }
});

test.serial('stacked bidirectional layers over a lookup: the gradients of the per-position path', (t) => {
  const data = problem('gru', 6, 9);
  setKernelThreads(2);
  tf.tidy(() => {
    const layers = nn.recurrentLayers('gru', { inputDim: INPUT, stateSize: HIDDEN, layers: 2, bidirectional: true, dropout: 0, seed: 4 });
    const ids = tf.tensor2d(data.ids, [data.batch, TIME], 'int32');
    const table = tf.tensor2d(data.table, [VOCAB, INPUT]);
    const mask = tf.tensor2d(data.mask, [data.batch, TIME]);
    const lossWeights = tf.tensor3d(Float32Array.from({ length: data.batch * TIME * layers.outputDim }, (_, i) => Math.sin(i)), [data.batch, TIME, layers.outputDim]);
    const gradients = (input: Input) => {
      const { value, grads } = tf.variableGrads(() => {
        const lookup = nn.embed(ids, table);
        return tf.sum(tf.mul(layers.apply(input === 'lookup' ? lookup : (tf.mul(lookup, 1) as tfjs.Tensor3D), mask, true), lossWeights)) as tfjs.Scalar;
      }, layers.variables as tfjs.Variable[]);
      return { value: value.dataSync()[0], grads: layers.variables.map((v) => grads[v.name].dataSync() as Float32Array) };
    };
    const distinct = gradients('lookup');
    const perPosition = gradients('lookup × 1');
    t.true(Math.abs(distinct.value - perPosition.value) < 1e-4 * Math.abs(perPosition.value));
    // The first layer's gradients come back through the second's, each summed in another order on
    // the two paths (per distinct token, per position): float32 rounding compounds over the layers.
    distinct.grads.forEach((gradient, index) => assertClose(t, gradient, perPosition.grads[index], layers.variables[index].name, 5e-4));
    tf.dispose(layers.variables as tfjs.Variable[]);
  });
});

test.serial('a scoring pass projects each word once, its batches read the kept projections, and the pass gives their memory back', (t) => {
  setKernelThreads(2);
  const profile = new Map<string, number>();
  kernelThreads().profile = profile;
  try {
    tf.tidy(() => {
      const random = mulberry32(31);
      const [vocab, batch] = [40, 7];
      const table = tf.tensor2d(uniform(random, vocab * INPUT, 1), [vocab, INPUT]);
      const data = recurrenceProblem('lstm', batch, random, () => ({}));
      const weights = {
        kernel: tf.variable(tf.tensor2d(data.kernel, [INPUT, data.width])),
        recurrentKernel: tf.variable(tf.tensor2d(data.recurrentKernel, [HIDDEN, data.width])),
        bias: tf.variable(tf.tensor1d(data.bias)),
      };
      const mask = tf.tensor2d(data.mask, [batch, TIME]);
      const idsFrom = (low: number, high: number) => tf.tensor2d(Int32Array.from({ length: batch * TIME }, () => low + Math.floor(random() * (high - low))), [batch, TIME], 'int32');
      const taped = (ids: tfjs.Tensor2D, from: tfjs.Tensor2D) => {
        let outputs: Float32Array = new Float32Array();
        tf.variableGrads(() => {
          const states = nn.lstm(nn.embed(ids, from), mask, weights);
          outputs = states.dataSync() as Float32Array;
          return tf.sum(states) as tfjs.Scalar;
        }, [weights.bias]);
        return outputs;
      };
      const [first, second] = [idsFrom(0, 20), idsFrom(10, 30)];
      const { arena } = kernelThreads();
      /** Kernel memory in use after the last untaped pass: what outlives its call. */
      let held = 0;
      /** Scores `ids` without a tape: whether it projected rows; its outputs must be the taped pass's. */
      const score = (ids: tfjs.Tensor2D, from = table) => {
        profile.clear();
        const outputs = nn.lstm(nn.embed(ids, from), mask, weights).dataSync() as Float32Array;
        held = arena.used;
        const projected = profile.has(PROJECTION);
        t.deepEqual(outputs, taped(ids, from));
        return projected;
      };
      t.deepEqual([score(first), score(first)], [true, true], 'outside a pass every batch projects its words');
      t.is(held, 0, 'and keeps nothing');
      whileScoring(() => {
        t.deepEqual([score(first), score(first)], [true, false], 'the second batch of known words reads their kept projections');
        t.true(held >= 4 * vocab * data.width, 'the kept projections are held while the pass runs');
        t.deepEqual([score(second), score(second)], [true, false], 'the words not seen yet, then none');
        const other = tf.tensor2d(uniform(random, 2 * vocab * INPUT, 1), [2 * vocab, INPUT]);
        t.deepEqual([score(first, other), score(first, other), score(first)], [true, true, false], 'another table than the first of the pass is not kept');
      });
      score(first);
      t.is(held, 0, 'the pass gave the kept projections back');
      weights.kernel.assign(tf.mul(weights.kernel, 0.5) as tfjs.Tensor2D);
      whileScoring(() => t.deepEqual([score(first), score(first)], [true, false], 'a new pass projects with the new weights'));
      tf.dispose([weights.kernel, weights.recurrentKernel, weights.bias]);
    });
  } finally {
    kernelThreads().profile = undefined;
  }
});

test.serial('a live tensor keeps its states while later batches reuse the arrays of disposed ones, moved into the backend or not', (t) => {
  setKernelThreads(2);
  const [data, later] = [problem('gru', 5, 3), problem('gru', 5, 4)];
  tf.tidy(() => {
    const weights = {
      kernel: tf.variable(tf.tensor2d(data.kernel, [INPUT, data.width])),
      recurrentKernel: tf.variable(tf.tensor2d(data.recurrentKernel, [HIDDEN, data.width])),
      bias: tf.variable(tf.tensor1d(data.bias)),
    };
    const table = tf.tensor2d(data.table, [VOCAB, INPUT]);
    const states = ({ ids, mask, batch }: Problem) => nn.gru(nn.embed(tf.tensor2d(ids, [batch, TIME], 'int32'), table), tf.tensor2d(mask, [batch, TIME]), weights);
    const [kept, moved] = [states(data), states(data)];
    const expected = valuesOf(kept).slice();
    // A tfjs op moves `moved` into the backend; the kernels go on reading its array.
    t.deepEqual(tf.add(moved, 0).dataSync(), expected);
    for (let batch = 0; batch < 3; batch++) tf.tidy(() => void states(later));
    t.deepEqual(valuesOf(kept), expected, 'the live lazy tensor');
    t.deepEqual(valuesOf(moved), expected, 'the tensor moved into the backend');
    t.deepEqual(moved.dataSync(), expected);
    tf.dispose([weights.kernel, weights.recurrentKernel, weights.bias]);
  });
});
