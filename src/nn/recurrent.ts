/**
 * LSTM and GRU layers, fast on wasm.
 *
 * A step-by-step tfjs graph is hopeless there: every small op costs 65–270 µs and slicing one
 * step out of a [time, batch, 4·hidden] tensor costs milliseconds, so a 64×256 batch takes ~9 s.
 * Instead:
 * - the inputs of all steps are projected with one matmul (`dense`, its own backward);
 * - the recurrence is one custom op running in a WebAssembly SIMD kernel generated for the
 *   hidden size (`wasm/recurrent-kernels.ts`): per step one h·U over the batch, then the gates
 *   row by row, keeping their activations for the backward pass;
 * - the backward pass (BPTT) runs the same way, one dz·Uᵀ per step, and the recurrent kernel's
 *   gradient is one [hidden, batch·time]×[batch·time, gates·hidden] tfjs matmul at the end.
 * Padded steps carry the state through and output 0, so padding never changes a sequence's
 * outputs; `reverse` walks time right to left, which visits each sequence's real tokens in
 * reverse whatever the padding.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { AttnlabError } from '../errors.js';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { dense } from './dense.js';
import type { RecurrentOptions, RecurrentWeights } from './ops.js';
import { createMemory, instantiate, type WasmMemory } from './wasm/runtime.js';
import { GATES, HIDDEN_ALIGNMENT, recurrentModule, ROW_BLOCK, type CellType, type RecurrentKernels } from './wasm/recurrent-kernels.js';

/** LSTM (gates i, f, g, o) over x [batch, time, in] → states [batch, time, hidden], 0 on padding. */
export function lstm(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options: RecurrentOptions = {}): tfjs.Tensor3D {
  return recurrentLayer(tf, x, mask, weights, options, 'lstm');
}

/**
 * GRU (gates r, z, n) over x [batch, time, in] → states [batch, time, hidden], 0 on padding.
 * The candidate is n = tanh(x·W_n + b_n + r ⊙ (h·U_n)), the "reset after" form of cuDNN and
 * PyTorch, without their second (recurrent) bias.
 */
export function gru(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options: RecurrentOptions = {}): tfjs.Tensor3D {
  return recurrentLayer(tf, x, mask, weights, options, 'gru');
}

/** Sizes of one recurrence; the kernels work on the padded ones. */
interface Dims {
  readonly cell: CellType;
  readonly batch: number;
  readonly time: number;
  readonly hidden: number;
  readonly gates: number;
  /** `batch` rounded up to the matmul's row block. */
  readonly paddedBatch: number;
  /** `hidden` rounded up to the kernels' lane alignment; each gate block is this wide. */
  readonly paddedHidden: number;
}

function recurrentLayer(
  tf: Tf,
  x: tfjs.Tensor3D,
  mask: tfjs.Tensor2D,
  weights: RecurrentWeights,
  options: RecurrentOptions,
  cell: CellType,
): tfjs.Tensor3D {
  const [batch, time] = x.shape;
  const gates = GATES[cell];
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
  const dims: Dims = {
    cell,
    batch,
    time,
    hidden,
    gates,
    paddedBatch: roundUp(batch, ROW_BLOCK),
    paddedHidden: roundUp(hidden, HIDDEN_ALIGNMENT),
  };
  const schedule = stepSchedule(mask.dataSync(), dims, options.reverse ?? false);
  return recurrence(tf, projected, weights.recurrentKernel as tfjs.Tensor2D, dims, schedule);
}

const roundUp = (value: number, multiple: number): number => Math.ceil(value / multiple) * multiple;

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

/**
 * Byte addresses of one recurrence's arrays in its own kernel memory; `[B, T, ·]` arrays run
 * over the padded batch so that the backward matmul may read whole row blocks.
 */
interface Workspace {
  readonly kernels: RecurrentKernels;
  readonly memory: WasmMemory;
  /** U [hidden, gates·hidden] and Uᵀ, padded. */
  readonly u: number;
  readonly uTransposed: number;
  /** Per step: h [batch, hidden], c (LSTM), dh, dc (LSTM), h·U [batch, gates·hidden]. */
  readonly h: number;
  readonly c: number;
  readonly dh: number;
  readonly dc: number;
  readonly rec: number;
  /** Per position [B, T, gates·hidden]: inputs z, activations, dz, d(h·U) (GRU; LSTM: dz). */
  readonly z: number;
  readonly act: number;
  readonly dz: number;
  readonly dRec: number;
  /** Per position [B, T, hidden]: h_{t−1}, outputs, dL/d outputs, and the cell's saved values. */
  readonly hPrev: number;
  readonly out: number;
  readonly dOut: number;
  readonly savedA: number;
  readonly savedB: number;
}

/**
 * Lays the arrays out in a fresh memory (zero-filled, which the kernels rely on: padding lanes
 * and rows, and positions no step visits, stay 0). Each recurrence gets its own memory, so a
 * layer keeps what its backward pass needs while other layers run; the pages the OS has not yet
 * touched (the backward arrays, in evaluation) cost nothing.
 */
function createWorkspace({ cell, time, gates, paddedBatch, paddedHidden }: Dims): Workspace {
  const stateFloats = paddedBatch * paddedHidden;
  const positionFloats = paddedBatch * time * paddedHidden;
  const sizes = {
    u: gates * paddedHidden * paddedHidden,
    uTransposed: gates * paddedHidden * paddedHidden,
    h: stateFloats,
    c: cell === 'lstm' ? stateFloats : 0,
    dh: stateFloats,
    dc: cell === 'lstm' ? stateFloats : 0,
    rec: gates * stateFloats,
    z: gates * positionFloats,
    act: gates * positionFloats,
    dz: gates * positionFloats,
    dRec: cell === 'gru' ? gates * positionFloats : 0,
    hPrev: positionFloats,
    out: positionFloats,
    dOut: positionFloats,
    savedA: positionFloats,
    savedB: cell === 'lstm' ? positionFloats : 0,
  };
  const addresses: Record<string, number> = {};
  let bytes = 0;
  for (const [name, floats] of Object.entries(sizes)) {
    addresses[name] = bytes;
    bytes += roundUp(floats * 4, 16);
  }
  const memory = createMemory(bytes);
  const kernels = instantiate<RecurrentKernels>(recurrentModule(cell, paddedHidden), memory);
  const layout = addresses as Record<keyof typeof sizes, number>;
  return { ...layout, dRec: cell === 'gru' ? layout.dRec : layout.dz, kernels, memory };
}

const floats = (workspace: Workspace, address: number, length: number): Float32Array => new Float32Array(workspace.memory.buffer, address, length);

/**
 * Copies `rows` rows of `groups` blocks from a layout `fromWidth` wide per block into one
 * `toWidth` wide, the narrower width per block: the padding of the hidden units in and out.
 */
function copyBlocks(from: Float32Array, fromWidth: number, to: Float32Array, toWidth: number, rows: number, groups: number): void {
  if (fromWidth === toWidth) {
    to.set(from.subarray(0, rows * groups * fromWidth));
    return;
  }
  const width = Math.min(fromWidth, toWidth);
  for (let block = 0; block < rows * groups; block++) {
    to.set(from.subarray(block * fromWidth, block * fromWidth + width), block * toWidth);
  }
}

/** Writes U [hidden, gates·hidden] and its transpose into the workspace, padded. */
function writeRecurrentKernel(workspace: Workspace, values: Float32Array, { hidden, gates, paddedHidden }: Dims): void {
  const width = gates * paddedHidden;
  const u = floats(workspace, workspace.u, paddedHidden * width);
  const uTransposed = floats(workspace, workspace.uTransposed, width * paddedHidden);
  for (let i = 0; i < hidden; i++) {
    for (let gate = 0; gate < gates; gate++) {
      for (let j = 0; j < hidden; j++) {
        const value = values[i * gates * hidden + gate * hidden + j];
        u[i * width + gate * paddedHidden + j] = value;
        uTransposed[(gate * paddedHidden + j) * paddedHidden + i] = value;
      }
    }
  }
}

/** The custom op: projected inputs z [batch, time, gates·hidden] and U → outputs. */
function recurrence(tf: Tf, z: tfjs.Tensor3D, recurrentKernel: tfjs.Tensor2D, dims: Dims, schedule: readonly ScheduledStep[]): tfjs.Tensor3D {
  const { batch, time, hidden, gates, paddedHidden } = dims;
  return runCustomOp(tf, { z, recurrentKernel }, () => {
    const workspace = createWorkspace(dims);
    writeRecurrentKernel(workspace, recurrentKernel.dataSync() as Float32Array, dims);
    const positions = batch * time;
    copyBlocks(z.dataSync() as Float32Array, hidden, floats(workspace, workspace.z, positions * gates * paddedHidden), paddedHidden, positions, gates);
    runForward(workspace, dims, schedule);
    const outputs = new Float32Array(positions * hidden);
    copyBlocks(floats(workspace, workspace.out, positions * paddedHidden), paddedHidden, outputs, hidden, positions, 1);
    let backwardDone = false;
    const runBackward = (dy: tfjs.Tensor) => {
      if (!backwardDone) {
        copyBlocks(dy.dataSync() as Float32Array, hidden, floats(workspace, workspace.dOut, positions * paddedHidden), paddedHidden, positions, 1);
        runBackwardSteps(workspace, dims, schedule);
      }
      backwardDone = true;
    };
    const gradient = (dy: tfjs.Tensor) => ({
      z: () => {
        runBackward(dy);
        const dz = new Float32Array(positions * gates * hidden);
        copyBlocks(floats(workspace, workspace.dz, positions * gates * paddedHidden), paddedHidden, dz, hidden, positions, gates);
        return tf.tensor3d(dz, [batch, time, gates * hidden]);
      },
      recurrentKernel: () => {
        runBackward(dy);
        return recurrentKernelGradient(tf, workspace, dims);
      },
    });
    return { value: tf.tensor3d(outputs, [batch, time, hidden]), gradient };
  });
}

/** Byte address of position (row, t) in a [B, T, width] array at `base`. */
const at = (base: number, row: number, t: number, time: number, width: number): number => base + 4 * (row * time + t) * width;

function runForward(workspace: Workspace, { time, gates, paddedBatch, paddedHidden }: Dims, schedule: readonly ScheduledStep[]): void {
  const { kernels } = workspace;
  const width = gates * paddedHidden;
  for (const { t, rows } of schedule) {
    kernels.forwardMatmul(workspace.h, 4 * paddedHidden, workspace.u, workspace.rec, 4 * width, paddedBatch, 0);
    for (const row of rows) {
      kernels.forwardRow(
        at(workspace.z, row, t, time, width),
        workspace.rec + 4 * row * width,
        at(workspace.act, row, t, time, width),
        workspace.h + 4 * row * paddedHidden,
        at(workspace.hPrev, row, t, time, paddedHidden),
        at(workspace.out, row, t, time, paddedHidden),
        workspace.c + 4 * row * paddedHidden,
        at(workspace.savedA, row, t, time, paddedHidden),
        at(workspace.savedB, row, t, time, paddedHidden),
      );
    }
  }
}

function runBackwardSteps(workspace: Workspace, { time, gates, paddedBatch, paddedHidden }: Dims, schedule: readonly ScheduledStep[]): void {
  const { kernels } = workspace;
  const width = gates * paddedHidden;
  for (let index = schedule.length - 1; index >= 0; index--) {
    const { t, rows } = schedule[index];
    for (const row of rows) {
      kernels.backwardRow(
        at(workspace.act, row, t, time, width),
        at(workspace.hPrev, row, t, time, paddedHidden),
        at(workspace.dOut, row, t, time, paddedHidden),
        workspace.dh + 4 * row * paddedHidden,
        at(workspace.dz, row, t, time, width),
        at(workspace.dRec, row, t, time, width),
        workspace.dc + 4 * row * paddedHidden,
        at(workspace.savedA, row, t, time, paddedHidden),
        at(workspace.savedB, row, t, time, paddedHidden),
      );
    }
    // Rows padded at this step have d(h·U) = 0 there, so adding to every row carries their dh.
    kernels.backwardMatmul(at(workspace.dRec, 0, t, time, width), 4 * time * width, workspace.uTransposed, workspace.dh, 4 * paddedHidden, paddedBatch, 1);
  }
}

/** dL/dU = Σ_positions h_{t−1}ᵀ · d(h·U), as one tfjs matmul, cut back to [hidden, gates·hidden]. */
function recurrentKernelGradient(tf: Tf, workspace: Workspace, { batch, time, hidden, gates, paddedHidden }: Dims): tfjs.Tensor2D {
  const positions = batch * time;
  const width = gates * paddedHidden;
  return tf.tidy(() => {
    const hPrevious = tf.tensor2d(floats(workspace, workspace.hPrev, positions * paddedHidden), [positions, paddedHidden]);
    const dRecurrent = tf.tensor2d(floats(workspace, workspace.dRec, positions * width), [positions, width]);
    const padded = tf.matMul(tf.transpose(hPrevious), dRecurrent) as tfjs.Tensor2D;
    if (paddedHidden === hidden) return padded;
    return tf.reshape<tfjs.Rank.R2>(tf.slice(tf.reshape(padded, [paddedHidden, gates, paddedHidden]), [0, 0, 0], [hidden, gates, hidden]), [hidden, gates * hidden]);
  });
}
