import test from 'ava';
import type * as tfjs from '@tensorflow/tfjs';
import { selectBackend } from '../../src/nn/backend.js';
import { createNnOps } from '../../src/nn/ops.js';
import { numericGradient } from '../helpers/numeric.js';

const { tf } = await selectBackend('wasm');
const nn = createNnOps(tf);

type CellKind = 'lstm' | 'gru';
const GATES: Record<CellKind, number> = { lstm: 4, gru: 3 };

/** Deterministic pseudo-random numbers in [-scale, scale). */
function randomArray(length: number, seed: number, scale = 1): Float64Array {
  let state = seed >>> 0 || 1;
  return Float64Array.from({ length }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  });
}

interface Problem {
  batch: number;
  time: number;
  input: number;
  hidden: number;
  x: Float64Array;
  mask: Float64Array;
  kernel: Float64Array;
  recurrentKernel: Float64Array;
  bias: Float64Array;
  /** Weights of the loss Σ outputs ⊙ lossWeights. */
  lossWeights: Float64Array;
}

function makeProblem(kind: CellKind, lengths: readonly (readonly [number, number])[], time: number, seed: number, input = 4): Problem {
  const batch = lengths.length;
  const hidden = 3;
  const width = GATES[kind] * hidden;
  const mask = new Float64Array(batch * time);
  lengths.forEach(([start, end], row) => {
    for (let t = start; t < end; t++) mask[row * time + t] = 1;
  });
  return {
    batch,
    time,
    input,
    hidden,
    x: randomArray(batch * time * input, seed),
    mask,
    kernel: randomArray(input * width, seed + 1, 0.8),
    recurrentKernel: randomArray(hidden * width, seed + 2, 0.8),
    bias: randomArray(width, seed + 3, 0.5),
    lossWeights: randomArray(batch * time * hidden, seed + 4),
  };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Float64 reference of the layer's definition, one step at a time. */
function referenceForward(kind: CellKind, p: Problem, reverse: boolean): Float64Array {
  const { batch, time, input, hidden } = p;
  const width = GATES[kind] * hidden;
  const out = new Float64Array(batch * time * hidden);
  for (let row = 0; row < batch; row++) {
    let h = new Float64Array(hidden);
    let c = new Float64Array(hidden);
    for (let index = 0; index < time; index++) {
      const t = reverse ? time - 1 - index : index;
      if (p.mask[row * time + t] === 0) continue;
      const xz = new Float64Array(width);
      const hz = new Float64Array(width);
      for (let k = 0; k < width; k++) {
        xz[k] = p.bias[k];
        for (let d = 0; d < input; d++) xz[k] += p.x[(row * time + t) * input + d] * p.kernel[d * width + k];
        for (let j = 0; j < hidden; j++) hz[k] += h[j] * p.recurrentKernel[j * width + k];
      }
      const nextH = new Float64Array(hidden);
      const nextC = new Float64Array(hidden);
      for (let j = 0; j < hidden; j++) {
        if (kind === 'lstm') {
          const [i, f, g, o] = [0, 1, 2, 3].map((gate) => xz[gate * hidden + j] + hz[gate * hidden + j]);
          nextC[j] = sigmoid(f) * c[j] + sigmoid(i) * Math.tanh(g);
          nextH[j] = sigmoid(o) * Math.tanh(nextC[j]);
        } else {
          const r = sigmoid(xz[j] + hz[j]);
          const u = sigmoid(xz[hidden + j] + hz[hidden + j]);
          const n = Math.tanh(xz[2 * hidden + j] + r * hz[2 * hidden + j]);
          nextH[j] = (1 - u) * n + u * h[j];
        }
        out[(row * time + t) * hidden + j] = nextH[j];
      }
      h = nextH;
      c = nextC;
    }
  }
  return out;
}

function referenceLoss(kind: CellKind, p: Problem, reverse: boolean): number {
  const out = referenceForward(kind, p, reverse);
  return out.reduce((sum, value, index) => sum + value * p.lossWeights[index], 0);
}

let variableCounter = 0;
function runLayer(kind: CellKind, p: Problem, reverse: boolean) {
  const width = GATES[kind] * p.hidden;
  const name = (part: string) => `${kind}-${part}-${variableCounter++}`;
  const x = tf.variable(tf.tensor3d(Float32Array.from(p.x), [p.batch, p.time, p.input]), true, name('x'));
  const weights = {
    kernel: tf.variable(tf.tensor2d(Float32Array.from(p.kernel), [p.input, width]), true, name('kernel')),
    recurrentKernel: tf.variable(tf.tensor2d(Float32Array.from(p.recurrentKernel), [p.hidden, width]), true, name('rk')),
    bias: tf.variable(tf.tensor1d(Float32Array.from(p.bias)), true, name('bias')),
  };
  const mask = tf.tensor2d(Float32Array.from(p.mask), [p.batch, p.time]);
  const lossWeights = tf.tensor3d(Float32Array.from(p.lossWeights), [p.batch, p.time, p.hidden]);
  const outputs = nn[kind](x as tfjs.Tensor3D as tfjs.Tensor3D, mask, weights, { reverse }).dataSync();
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.mul(nn[kind](x as tfjs.Tensor3D, mask, weights, { reverse }), lossWeights)) as tfjs.Scalar,
    [x, weights.kernel, weights.recurrentKernel, weights.bias],
  );
  const read = (variable: tfjs.Variable) => grads[variable.name].dataSync();
  const result = {
    outputs,
    x: read(x),
    kernel: read(weights.kernel),
    recurrentKernel: read(weights.recurrentKernel),
    bias: read(weights.bias),
  };
  tf.dispose([x, weights.kernel, weights.recurrentKernel, weights.bias, mask, lossWeights, ...Object.values(grads)]);
  return result;
}

function assertClose(t: import('ava').ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string) {
  t.is(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (error > worst) [worst, worstIndex] = [error, i];
  }
  t.true(worst <= tolerance, `${what}: index ${worstIndex} got ${actual[worstIndex]}, expected ${expected[worstIndex]}`);
}

// Rows: right padding, a single token, left padding, full length.
const LENGTHS = [[0, 4], [0, 1], [2, 6], [0, 6]] as const;

for (const kind of ['lstm', 'gru'] as const) {
  for (const reverse of [false, true]) {
    const label = `${kind}${reverse ? ' reverse' : ''}`;

    test(`${label}: outputs match the float64 reference and are 0 on padding`, (t) => {
      const p = makeProblem(kind, LENGTHS, 6, 11);
      const { outputs } = runLayer(kind, p, reverse);
      assertClose(t, outputs, referenceForward(kind, p, reverse), 1e-5, 'outputs');
      p.mask.forEach((real, position) => {
        if (real === 0) for (let j = 0; j < p.hidden; j++) t.is(outputs[position * p.hidden + j], 0);
      });
    });

    test(`${label}: gradients match central finite differences, with padding`, (t) => {
      const p = makeProblem(kind, LENGTHS, 6, 23);
      const analytic = runLayer(kind, p, reverse);
      const loss = () => referenceLoss(kind, p, reverse);
      for (const key of ['x', 'kernel', 'recurrentKernel', 'bias'] as const) {
        assertClose(t, analytic[key], numericGradient(p[key], loss, 1e-5), 2e-4, `d loss / d ${key}`);
      }
    });

    test(`${label}: a sequence's outputs do not depend on the padding of its batch`, (t) => {
      const alone = makeProblem(kind, [[0, 5]], 5, 31);
      const padded = makeProblem(kind, [[0, 2], [0, 5], [0, 9]], 9, 31);
      for (const key of ['kernel', 'recurrentKernel', 'bias'] as const) padded[key] = alone[key];
      // Place the lone sequence in row 1 of a longer, padded batch.
      padded.x.fill(7);
      padded.x.set(alone.x, 9 * alone.input);
      const single = runLayer(kind, alone, reverse).outputs;
      const batched = runLayer(kind, padded, reverse).outputs;
      const row = batched.subarray(9 * alone.hidden, 9 * alone.hidden + 5 * alone.hidden);
      assertClose(t, row, single, 1e-6, 'row 1 against the sequence alone');
      t.true(batched.subarray(14 * alone.hidden, 18 * alone.hidden).every((value) => value === 0));
    });
  }
}

// Input widths off the kernels' row block (e.g. an LSTM over 50-d GloVe vectors): the padded input lanes must read as 0.
for (const kind of ['lstm', 'gru'] as const) {
  for (const input of [3, 5, 50]) {
    test(`${kind} over inputs of width ${input}: outputs and gradients match the float64 reference`, (t) => {
      const p = makeProblem(kind, [[0, 3], [1, 4], [0, 2]], 4, 41 + input, input);
      const analytic = runLayer(kind, p, false);
      assertClose(t, analytic.outputs, referenceForward(kind, p, false), 1e-5, 'outputs');
      const loss = () => referenceLoss(kind, p, false);
      for (const key of ['x', 'kernel'] as const) assertClose(t, analytic[key], numericGradient(p[key], loss, 1e-5), 2e-4, `d loss / d ${key}`);
    });
  }
}

test('bidirectional use: reverse differs from forward on the same inputs', (t) => {
  const p = makeProblem('lstm', [[0, 6]], 6, 5);
  const forward = runLayer('lstm', p, false).outputs;
  const backward = runLayer('lstm', p, true).outputs;
  t.notDeepEqual(Array.from(forward), Array.from(backward));
  // The reverse pass's first time step has seen the whole sequence: same as forward's last on reversed input.
  const reversedInput = { ...p, x: Float64Array.from({ length: p.x.length }, (_, i) => p.x[(5 - Math.floor(i / p.input)) * p.input + (i % p.input)]) };
  const forwardOnReversed = runLayer('lstm', reversedInput, false).outputs;
  assertClose(t, backward.subarray(0, p.hidden), forwardOnReversed.subarray(5 * p.hidden), 1e-6, 'reverse step 0');
});

test('weights of the wrong shape are refused with the expected shapes', (t) => {
  const weights = {
    kernel: nn.zeros(`bad-k-${variableCounter++}`, [4, 12]),
    recurrentKernel: nn.zeros(`bad-u-${variableCounter++}`, [3, 9]),
    bias: nn.zeros(`bad-b-${variableCounter++}`, [12]),
  };
  const error = t.throws(() => nn.lstm(tf.zeros([1, 2, 4]), tf.ones([1, 2]), weights));
  t.regex(error.message, /\[3,12\]/);
});
