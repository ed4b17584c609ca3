import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps, type RecurrentWeights } from '../../src/nn/ops.js';
import { bidirectional } from '../../src/nn/recurrent.js';
import { whileScoring } from '../../src/nn/scoring-pass.js';
import { setKernelThreads } from '../../src/nn/threads/pool.js';
import { mulberry32 } from '../../src/data/random.js';
import { assertClose, recurrenceProblem, RECURRENCE, uniform, type Cell } from '../helpers/recurrence.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);
const { input: INPUT, hidden: HIDDEN, time: TIME } = RECURRENCE;
const VOCAB = 7;

/** How the layer reads its input: a tensor of its own (per position, x trained too), or a frozen table's lookup (per token). */
type Input = 'positions' | 'lookup';

/** Two directions' weights, inputs both ways, and loss weights for [batch, time, 2·hidden]. */
function problem(cell: Cell, batch: number, seed: number) {
  const random = mulberry32(seed);
  const forward = recurrenceProblem(cell, batch, random, () => ({
    x: uniform(random, batch * TIME * INPUT, 1),
    ids: Int32Array.from({ length: batch * TIME }, () => Math.floor(random() * VOCAB)),
    table: uniform(random, VOCAB * INPUT, 1),
  }));
  const backward = recurrenceProblem(cell, batch, random, () => ({}));
  return { ...forward, backward, lossWeights: uniform(random, batch * TIME * 2 * HIDDEN, 1) };
}
type Problem = ReturnType<typeof problem>;

/** Direction `half` (0 or 1) of rows 2·hidden wide. */
function half(values: Float32Array, index: number): Float32Array {
  return Float32Array.from({ length: values.length / 2 }, (_, i) => values[Math.floor(i / HIDDEN) * 2 * HIDDEN + index * HIDDEN + (i % HIDDEN)]);
}

interface Result {
  readonly taped: Float32Array;
  readonly scored: Float32Array;
  /** By both directions' W, U and b, then x when it is trained. */
  readonly gradients: Float32Array[];
}

let variableCount = 0;

/**
 * The layer's states and the gradients of Σ states ⊙ lossWeights, from the bidirectional op
 * (`joint`) or from the two directions run as ops of their own, their states put side by side here.
 */
function run(cell: Cell, data: Problem, input: Input, joint: boolean, threads: number): Result {
  setKernelThreads(threads);
  return tf.tidy(() => {
    const variable = <T extends tfjs.Tensor>(tensor: T) => tf.variable(tensor, true, `bidirectional-${variableCount++}`);
    const weightsOf = ({ kernel, recurrentKernel, bias, width }: Pick<Problem, 'kernel' | 'recurrentKernel' | 'bias' | 'width'>): RecurrentWeights => ({
      kernel: variable(tf.tensor2d(kernel, [INPUT, width])),
      recurrentKernel: variable(tf.tensor2d(recurrentKernel, [HIDDEN, width])),
      bias: variable(tf.tensor1d(bias)),
    });
    const [forward, backward] = [weightsOf(data), weightsOf({ ...data.backward, width: data.width })];
    const ownX = variable(tf.tensor3d(data.x, [data.batch, TIME, INPUT]));
    const x = (): tfjs.Tensor3D => (input === 'positions' ? (ownX as tfjs.Tensor as tfjs.Tensor3D) : nn.embed(tf.tensor2d(data.ids, [data.batch, TIME], 'int32'), tf.tensor2d(data.table, [VOCAB, INPUT])));
    const mask = tf.tensor2d(data.mask, [data.batch, TIME]);
    const lossWeights = tf.tensor3d(data.lossWeights, [data.batch, TIME, 2 * HIDDEN]);
    const [forwardWeights, backwardWeights] = [half(data.lossWeights, 0), half(data.lossWeights, 1)].map((values) => tf.tensor3d(values, [data.batch, TIME, HIDDEN]));
    let taped: Float32Array = new Float32Array();
    const loss = (): tfjs.Scalar => {
      const inputs = x();
      if (joint) {
        const states = bidirectional(tf, cell, inputs, mask, forward, backward);
        taped = states.dataSync() as Float32Array;
        return tf.sum(tf.mul(states, lossWeights));
      }
      const states = [nn[cell](inputs, mask, forward), nn[cell](inputs, mask, backward, { reverse: true })];
      const [left, right] = states.map((tensor) => tensor.dataSync() as Float32Array);
      taped = Float32Array.from({ length: left.length * 2 }, (_, i) => (Math.floor(i / HIDDEN) % 2 === 0 ? left : right)[Math.floor(i / (2 * HIDDEN)) * HIDDEN + (i % HIDDEN)]);
      return tf.add(tf.sum(tf.mul(states[0], forwardWeights)), tf.sum(tf.mul(states[1], backwardWeights)));
    };
    const trained = [forward.kernel, forward.recurrentKernel, forward.bias, backward.kernel, backward.recurrentKernel, backward.bias, ...(input === 'positions' ? [ownX] : [])] as tfjs.Variable[];
    const { grads } = tf.variableGrads(loss, trained);
    const gradients = trained.map((v) => grads[v.name].dataSync() as Float32Array);
    const scored = joint ? (whileScoring(() => bidirectional(tf, cell, x(), mask, forward, backward).dataSync()) as Float32Array) : taped;
    tf.dispose([...trained, ownX]);
    return { taped, scored, gradients };
  });
}

test.after.always(() => setKernelThreads(1));

// One row, odd sizes, one thread (the directions one after the other), a thread per direction,
// more threads than directions, and two threads per direction (its rows split between them).
const CASES: readonly (readonly [batch: number, threads: number])[] = [
  [1, 1],
  [1, 2],
  [5, 2],
  [13, 1],
  [13, 3],
  [13, 4],
];
const NAMES = ['forward W', 'forward U', 'forward b', 'backward W', 'backward U', 'backward b', 'x'];

for (const cell of ['lstm', 'gru'] as const) {
  for (const input of ['positions', 'lookup'] as const) {
    for (const [batch, threads] of CASES) {
      test.serial(`${cell} over ${input}, ${batch} rows on ${threads} thread(s): both directions as one op give the two directions' states side by side and their gradients`, (t) => {
        const data = problem(cell, batch, 17 * batch + threads);
        const apart = run(cell, data, input, false, threads);
        const joint = run(cell, data, input, true, threads);
        // Each row of each direction is computed whole by one thread: the same floats.
        t.deepEqual(joint.taped, apart.taped);
        t.deepEqual(joint.scored, apart.taped, 'scoring');
        t.is(joint.gradients.length, apart.gradients.length);
        apart.gradients.forEach((expected, index) => assertClose(t, joint.gradients[index], expected, `gradient of ${NAMES[index]}`));
      });
    }
  }
}
