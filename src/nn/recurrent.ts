/**
 * LSTM and GRU layers, fast on wasm.
 *
 * A step-by-step tfjs graph is hopeless there: every small op costs 65–270 µs and slicing one
 * step out of a [time, batch, 4·hidden] tensor costs milliseconds, so a 64×256 batch takes ~9 s.
 * Instead:
 * - the inputs of all steps are projected with one matmul (`dense`, its own backward);
 * - the recurrence is one custom op: per step, a single tfjs matmul h·U (XNNPACK's SIMD kernel
 *   beats a JS loop ~10×: 0.28 ms against 2.5 ms for 64×64×256) and the gates on typed arrays,
 *   keeping their activations for the backward pass;
 * - the backward pass (BPTT) runs the same way, one matmul dz·Uᵀ per step, and the recurrent
 *   kernel's gradient is one [hidden, batch·time]×[batch·time, gates·hidden] matmul at the end.
 * Padded steps carry the state through and output 0, so padding never changes a sequence's
 * outputs; `reverse` walks time right to left, which visits each sequence's real tokens in
 * reverse whatever the padding.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { AttnlabError } from '../errors.js';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { dense } from './dense.js';
import { sigmoid, tanh } from './fast-math.js';
import type { RecurrentOptions, RecurrentWeights } from './ops.js';

/** Sizes of one recurrence; arrays indexed [batch, time, ·] are row-major. */
interface Dims {
  readonly batch: number;
  readonly time: number;
  readonly hidden: number;
  readonly gates: number;
}

/**
 * The arithmetic of one cell type on typed arrays. `z` holds the projected inputs [batch, time,
 * gates·hidden] (read only); `rec` the step's h·U [batch, gates·hidden].
 */
interface CellKernel {
  /** Advances `row` at step `t`: updates the state, writes the output and what backward needs. */
  forwardRow(row: number, t: number, rec: Float32Array): void;
  /** The hidden state [batch, hidden] the next step multiplies by U. */
  readonly h: Float32Array;
  /** Outputs [batch, time, hidden]. */
  readonly outputs: Float32Array;
  /**
   * Backward through `row` at step `t` given dL/d(output): writes d z (into `dInputs`), the
   * step's d(h·U) row (into `dRec`, [batch, gates·hidden]) and the part of dL/dh_{t-1} that
   * does not flow through U.
   */
  backwardRow(row: number, t: number, dOutputs: ArrayLike<number>, dRec: Float32Array): void;
  /** dL/dh of the state, [batch, hidden]. */
  readonly dh: Float32Array;
  /** dL/dz [batch, time, gates·hidden]. */
  readonly dInputs: Float32Array;
  /** d(h·U) per position [batch, time, gates·hidden], for U's gradient. */
  readonly dRecurrent: Float32Array;
  /** h_{t-1} per position [batch, time, hidden], for U's gradient. */
  readonly hPrevious: Float32Array;
}

type CellFactory = (dims: Dims, z: Float32Array) => CellKernel;

/** LSTM (gates i, f, g, o) over x [batch, time, in] → states [batch, time, hidden], 0 on padding. */
export function lstm(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options: RecurrentOptions = {}): tfjs.Tensor3D {
  return recurrentLayer(tf, x, mask, weights, options, 4, createLstmKernel);
}

/**
 * GRU (gates r, z, n) over x [batch, time, in] → states [batch, time, hidden], 0 on padding.
 * The candidate is n = tanh(x·W_n + b_n + r ⊙ (h·U_n)), the "reset after" form of cuDNN and
 * PyTorch, without their second (recurrent) bias.
 */
export function gru(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options: RecurrentOptions = {}): tfjs.Tensor3D {
  return recurrentLayer(tf, x, mask, weights, options, 3, createGruKernel);
}

function recurrentLayer(
  tf: Tf,
  x: tfjs.Tensor3D,
  mask: tfjs.Tensor2D,
  weights: RecurrentWeights,
  options: RecurrentOptions,
  gates: number,
  createKernel: CellFactory,
): tfjs.Tensor3D {
  const [batch, time] = x.shape;
  const hidden = weights.recurrentKernel.shape[0];
  const width = gates * hidden;
  if (weights.recurrentKernel.shape[1] !== width || weights.kernel.shape[1] !== width || weights.bias.shape[0] !== width) {
    throw new AttnlabError(
      'recurrent-weights-shape',
      `recurrent weights have kernel [${weights.kernel.shape}], recurrent kernel [${weights.recurrentKernel.shape}] ` +
        `and bias [${weights.bias.shape}]; with hidden ${hidden} and ${gates} gates they must be ` +
        `[${x.shape[2]},${width}], [${hidden},${width}] and [${width}]`,
    );
  }
  const projected = dense(tf, x, weights.kernel as tfjs.Tensor2D, weights.bias as tfjs.Tensor1D);
  const dims: Dims = { batch, time, hidden, gates };
  const schedule = stepSchedule(mask.dataSync(), dims, options.reverse ?? false);
  return recurrence(tf, projected, weights.recurrentKernel as tfjs.Tensor2D, dims, schedule, createKernel);
}

/** For each step in processing order: its time index and the rows with a real token there. */
interface ScheduledStep {
  readonly t: number;
  readonly rows: readonly number[];
}

function stepSchedule(mask: ArrayLike<number>, dims: Dims, reverse: boolean): ScheduledStep[] {
  const steps: ScheduledStep[] = [];
  for (let index = 0; index < dims.time; index++) {
    const t = reverse ? dims.time - 1 - index : index;
    const rows: number[] = [];
    for (let row = 0; row < dims.batch; row++) if (mask[row * dims.time + t] > 0) rows.push(row);
    if (rows.length > 0) steps.push({ t, rows });
  }
  return steps;
}

/** The custom op: projected inputs z [batch, time, gates·hidden] and U → outputs. */
function recurrence(
  tf: Tf,
  z: tfjs.Tensor3D,
  recurrentKernel: tfjs.Tensor2D,
  dims: Dims,
  schedule: readonly ScheduledStep[],
  createKernel: CellFactory,
): tfjs.Tensor3D {
  const { batch, time, hidden, gates } = dims;
  return runCustomOp(tf, { z, recurrentKernel }, (save) => {
    save([recurrentKernel]);
    const cell = createKernel(dims, z.dataSync() as Float32Array);
    const timesU = stepMatmul(tf, recurrentKernel, batch);
    for (const { t, rows } of schedule) {
      const rec = timesU(cell.h);
      for (const row of rows) cell.forwardRow(row, t, rec);
    }
    let backwardDone = false;
    const runBackward = (dy: tfjs.Tensor, savedKernel: tfjs.Tensor) => {
      if (!backwardDone) backpropagate(tf, cell, savedKernel as tfjs.Tensor2D, schedule, dy.dataSync(), batch);
      backwardDone = true;
    };
    const gradient = (dy: tfjs.Tensor, [savedKernel]: readonly tfjs.Tensor[]) => ({
      z: () => {
        runBackward(dy, savedKernel);
        return tf.tensor3d(cell.dInputs, [batch, time, gates * hidden]);
      },
      recurrentKernel: () => {
        runBackward(dy, savedKernel);
        const hPrevious = tf.tensor2d(cell.hPrevious, [batch * time, hidden]);
        const dRecurrent = tf.tensor2d(cell.dRecurrent, [batch * time, gates * hidden]);
        return tf.matMul(tf.transpose(hPrevious), dRecurrent);
      },
    });
    return { value: tf.tensor3d(cell.outputs, [batch, time, hidden]), gradient };
  });
}

function backpropagate(
  tf: Tf,
  cell: CellKernel,
  recurrentKernel: tfjs.Tensor2D,
  schedule: readonly ScheduledStep[],
  dOutputs: ArrayLike<number>,
  batch: number,
): void {
  const [hidden, width] = recurrentKernel.shape;
  const transposed = tf.transpose(recurrentKernel);
  const timesUTransposed = stepMatmul(tf, transposed, batch);
  const dRec = new Float32Array(batch * width);
  for (let index = schedule.length - 1; index >= 0; index--) {
    const { t, rows } = schedule[index];
    for (const row of rows) cell.backwardRow(row, t, dOutputs, dRec);
    // Rows padded at this step carry dh through unchanged; their dRec rows are stale and unused.
    const throughU = timesUTransposed(dRec);
    for (const row of rows) {
      for (let j = row * hidden; j < (row + 1) * hidden; j++) cell.dh[j] += throughU[j];
    }
  }
  transposed.dispose();
}

/** Multiplies a [rows, k] typed array by a fixed [k, n] tensor, returning a typed array. */
function stepMatmul(tf: Tf, weights: tfjs.Tensor2D, rows: number): (left: Float32Array) => Float32Array {
  const inner = weights.shape[0];
  return (left) => {
    // Not returned through tf.tidy: it would walk the typed array element by element.
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(left, [rows, inner]), weights));
    const values = product.dataSync() as Float32Array;
    product.dispose();
    return values;
  };
}

/** Storage every cell needs, sized from `dims`. */
function cellStorage({ batch, time, hidden, gates }: Dims) {
  return {
    h: new Float32Array(batch * hidden),
    outputs: new Float32Array(batch * time * hidden),
    dh: new Float32Array(batch * hidden),
    dInputs: new Float32Array(batch * time * gates * hidden),
    hPrevious: new Float32Array(batch * time * hidden),
  };
}

/**
 * LSTM: i, f, o = σ(·), g = tanh(·); c' = f⊙c + i⊙g; h' = o⊙tanh(c'). d(h·U) equals d z, so
 * `dRecurrent` is `dInputs`.
 */
function createLstmKernel(dims: Dims, z: Float32Array): CellKernel {
  const { time, hidden } = dims;
  const width = 4 * hidden;
  const storage = cellStorage(dims);
  const { h, outputs, dh, dInputs, hPrevious } = storage;
  const c = new Float32Array(dims.batch * hidden);
  const dc = new Float32Array(dims.batch * hidden);
  const cPrevious = new Float32Array(dims.batch * time * hidden);
  const tanhC = new Float32Array(dims.batch * time * hidden);
  const activations = new Float32Array(z.length);
  return {
    ...storage,
    dRecurrent: dInputs,
    forwardRow(row, t, rec) {
      const position = row * time + t;
      const gateBase = position * width;
      const recBase = row * width;
      for (let j = 0; j < hidden; j++) {
        const state = row * hidden + j;
        const cell = position * hidden + j;
        const i = sigmoid(z[gateBase + j] + rec[recBase + j]);
        const f = sigmoid(z[gateBase + hidden + j] + rec[recBase + hidden + j]);
        const g = tanh(z[gateBase + 2 * hidden + j] + rec[recBase + 2 * hidden + j]);
        const o = sigmoid(z[gateBase + 3 * hidden + j] + rec[recBase + 3 * hidden + j]);
        activations[gateBase + j] = i;
        activations[gateBase + hidden + j] = f;
        activations[gateBase + 2 * hidden + j] = g;
        activations[gateBase + 3 * hidden + j] = o;
        cPrevious[cell] = c[state];
        hPrevious[cell] = h[state];
        c[state] = f * c[state] + i * g;
        tanhC[cell] = tanh(c[state]);
        h[state] = o * tanhC[cell];
        outputs[cell] = h[state];
      }
    },
    backwardRow(row, t, dOutputs, dRec) {
      const position = row * time + t;
      const gateBase = position * width;
      const recBase = row * width;
      for (let j = 0; j < hidden; j++) {
        const state = row * hidden + j;
        const cell = position * hidden + j;
        const i = activations[gateBase + j];
        const f = activations[gateBase + hidden + j];
        const g = activations[gateBase + 2 * hidden + j];
        const o = activations[gateBase + 3 * hidden + j];
        const dhTotal = dh[state] + dOutputs[cell];
        const tc = tanhC[cell];
        const dcTotal = dc[state] + dhTotal * o * (1 - tc * tc);
        const dzI = dcTotal * g * i * (1 - i);
        const dzF = dcTotal * cPrevious[cell] * f * (1 - f);
        const dzG = dcTotal * i * (1 - g * g);
        const dzO = dhTotal * tc * o * (1 - o);
        dInputs[gateBase + j] = dRec[recBase + j] = dzI;
        dInputs[gateBase + hidden + j] = dRec[recBase + hidden + j] = dzF;
        dInputs[gateBase + 2 * hidden + j] = dRec[recBase + 2 * hidden + j] = dzG;
        dInputs[gateBase + 3 * hidden + j] = dRec[recBase + 3 * hidden + j] = dzO;
        dc[state] = dcTotal * f;
        dh[state] = 0;
      }
    },
  };
}

/**
 * GRU: r, u = σ(·); n = tanh(z_n + r⊙a_n) with a = h·U; h' = (1−u)⊙n + u⊙h. a_n is kept
 * beside the activations since n's backward needs it.
 */
function createGruKernel(dims: Dims, z: Float32Array): CellKernel {
  const { time, hidden } = dims;
  const width = 3 * hidden;
  const storage = cellStorage(dims);
  const { h, outputs, dh, dInputs, hPrevious } = storage;
  const dRecurrent = new Float32Array(dims.batch * time * width);
  const recurrentCandidate = new Float32Array(dims.batch * time * hidden);
  const activations = new Float32Array(z.length);
  return {
    ...storage,
    dRecurrent,
    forwardRow(row, t, rec) {
      const position = row * time + t;
      const gateBase = position * width;
      const recBase = row * width;
      for (let j = 0; j < hidden; j++) {
        const state = row * hidden + j;
        const cell = position * hidden + j;
        const r = sigmoid(z[gateBase + j] + rec[recBase + j]);
        const u = sigmoid(z[gateBase + hidden + j] + rec[recBase + hidden + j]);
        const aN = rec[recBase + 2 * hidden + j];
        const n = tanh(z[gateBase + 2 * hidden + j] + r * aN);
        activations[gateBase + j] = r;
        activations[gateBase + hidden + j] = u;
        activations[gateBase + 2 * hidden + j] = n;
        recurrentCandidate[cell] = aN;
        hPrevious[cell] = h[state];
        h[state] = (1 - u) * n + u * h[state];
        outputs[cell] = h[state];
      }
    },
    backwardRow(row, t, dOutputs, dRec) {
      const position = row * time + t;
      const gateBase = position * width;
      const recBase = row * width;
      for (let j = 0; j < hidden; j++) {
        const state = row * hidden + j;
        const cell = position * hidden + j;
        const r = activations[gateBase + j];
        const u = activations[gateBase + hidden + j];
        const n = activations[gateBase + 2 * hidden + j];
        const dhTotal = dh[state] + dOutputs[cell];
        const dPreN = dhTotal * (1 - u) * (1 - n * n);
        const dPreR = dPreN * recurrentCandidate[cell] * r * (1 - r);
        const dPreU = dhTotal * (hPrevious[cell] - n) * u * (1 - u);
        dInputs[gateBase + j] = dRecurrent[gateBase + j] = dRec[recBase + j] = dPreR;
        dInputs[gateBase + hidden + j] = dRecurrent[gateBase + hidden + j] = dRec[recBase + hidden + j] = dPreU;
        dInputs[gateBase + 2 * hidden + j] = dPreN;
        dRecurrent[gateBase + 2 * hidden + j] = dRec[recBase + 2 * hidden + j] = dPreN * r;
        dh[state] = dhTotal * u;
      }
    },
  };
}
