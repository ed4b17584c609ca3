/**
 * LSTM and GRU layers, fast on wasm.
 *
 * A step-by-step tfjs graph is hopeless there: every small op costs 65–270 µs and slicing one
 * step out of a [time, batch, 4·hidden] tensor costs milliseconds, so a 64×256 batch takes ~9 s.
 * Instead the whole layer is one custom op running in WebAssembly SIMD kernels generated for its
 * sizes (`wasm/recurrent-kernels.ts`), over one linear memory holding everything it needs:
 * - forward, per step: x_t·W + b and h·U over the batch, then the gates row by row, keeping
 *   their activations for the backward pass;
 * - backward (BPTT), per step: the gates' derivatives row by row, dz·Uᵀ into dh, and the
 *   weights' gradients accumulated from the step's rows (x_tᵀ·dz, h_{t−1}ᵀ·d(h·U), Σ dz) while
 *   they are in cache. Only the inputs' gradient (for stacked layers or trained embeddings)
 *   leaves the kernels, as one tfjs matmul.
 * Projecting inside the kernels saves the [batch, time, gates·hidden] pre-activations' trips
 * between tfjs and the kernels' memory (~15 MB each way per batch) and tfjs's transposed
 * products for the weight gradients. Padded steps carry the state through and output 0, so
 * padding never changes a sequence's outputs; `reverse` walks time right to left, which visits
 * each sequence's real tokens in reverse whatever the padding.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { AttnlabError } from '../errors.js';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import type { RecurrentOptions, RecurrentWeights } from './ops.js';
import { rememberValues, valuesOf } from './values.js';
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
  readonly input: number;
  readonly hidden: number;
  readonly gates: number;
  /** `batch` rounded up to the matmul's row block. */
  readonly paddedBatch: number;
  /** `input` rounded up to the gradient matmul's row block. */
  readonly paddedInput: number;
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
  const [batch, time, input] = x.shape;
  const gates = GATES[cell];
  const hidden = weights.recurrentKernel.shape[0];
  const width = gates * hidden;
  if (weights.recurrentKernel.shape[1] !== width || weights.kernel.shape[1] !== width || weights.kernel.shape[0] !== input || weights.bias.shape[0] !== width) {
    throw new AttnlabError(
      'recurrent-weights-shape',
      `recurrent weights have kernel [${weights.kernel.shape}], recurrent kernel [${weights.recurrentKernel.shape}] ` +
        `and bias [${weights.bias.shape}]; with inputs of size ${input}, hidden ${hidden} and ${gates} gates they must be ` +
        `[${input},${width}], [${hidden},${width}] and [${width}]`,
    );
  }
  const dims: Dims = {
    cell,
    batch,
    time,
    input,
    hidden,
    gates,
    paddedBatch: roundUp(batch, ROW_BLOCK),
    paddedInput: roundUp(input, ROW_BLOCK),
    paddedHidden: roundUp(hidden, HIDDEN_ALIGNMENT),
  };
  const schedule = stepSchedule(valuesOf(mask), dims, options.reverse ?? false);
  return recurrence(tf, x, weights, dims, schedule);
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
 * over the padded batch so that the matmuls may read whole row blocks.
 */
interface Workspace {
  readonly kernels: RecurrentKernels;
  readonly memory: WasmMemory;
  /** W [input, gates·hidden], U [hidden, gates·hidden] and Uᵀ, padded. */
  readonly w: number;
  readonly u: number;
  readonly uTransposed: number;
  /** The bias repeated on every row [batch, gates·hidden]: each step's z starts from it. */
  readonly biasRows: number;
  /** Per step: z = x_t·W + b and h·U [batch, gates·hidden], h [batch, hidden], c (LSTM), dh, dc (LSTM). */
  readonly z: number;
  readonly rec: number;
  readonly h: number;
  readonly c: number;
  readonly dh: number;
  readonly dc: number;
  /** The inputs [B, T, input], padded. */
  readonly x: number;
  /** Per position [B, T, gates·hidden]: activations, dz, d(h·U) (GRU; LSTM: dz). */
  readonly act: number;
  readonly dz: number;
  readonly dRec: number;
  /** Per position [B, T, hidden]: h_{t−1}, outputs, dL/d outputs, and the cell's saved values. */
  readonly hPrev: number;
  readonly out: number;
  readonly dOut: number;
  readonly savedA: number;
  readonly savedB: number;
  /** Accumulated gradients of W, U and b, padded like them. */
  readonly dW: number;
  readonly dU: number;
  readonly dBias: number;
}

/**
 * Lays the arrays out in a fresh memory (zero-filled, which the kernels rely on: padding lanes
 * and rows, and positions no step visits, stay 0). Each recurrence gets its own memory, so a
 * layer keeps what its backward pass needs while other layers run; the pages the OS has not yet
 * touched (the backward arrays, in evaluation) cost nothing.
 */
function createWorkspace({ cell, time, gates, paddedBatch, paddedInput, paddedHidden }: Dims): Workspace {
  const width = gates * paddedHidden;
  const stateFloats = paddedBatch * paddedHidden;
  const positionFloats = paddedBatch * time * paddedHidden;
  const sizes = {
    w: paddedInput * width,
    u: paddedHidden * width,
    uTransposed: paddedHidden * width,
    biasRows: paddedBatch * width,
    z: paddedBatch * width,
    rec: paddedBatch * width,
    h: stateFloats,
    c: cell === 'lstm' ? stateFloats : 0,
    dh: stateFloats,
    dc: cell === 'lstm' ? stateFloats : 0,
    x: paddedBatch * time * paddedInput,
    act: gates * positionFloats,
    dz: gates * positionFloats,
    dRec: cell === 'gru' ? gates * positionFloats : 0,
    hPrev: positionFloats,
    out: positionFloats,
    dOut: positionFloats,
    savedA: positionFloats,
    savedB: cell === 'lstm' ? positionFloats : 0,
    dW: paddedInput * width,
    dU: paddedHidden * width,
    dBias: width,
  };
  const addresses: Record<string, number> = {};
  let bytes = 0;
  for (const [name, floats] of Object.entries(sizes)) {
    addresses[name] = bytes;
    bytes += roundUp(floats * 4, 16);
  }
  const memory = createMemory(bytes);
  const kernels = instantiate<RecurrentKernels>(recurrentModule(cell, paddedHidden, paddedInput), memory);
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

/** Writes a [rows, gates·hidden] weight matrix into the workspace with padded gate blocks (and its transpose). */
function writeGateMatrix(workspace: Workspace, values: Float32Array, rows: number, target: number, { hidden, gates, paddedHidden }: Dims, transposed?: number): void {
  const width = gates * paddedHidden;
  const padded = floats(workspace, target, rows * width);
  copyBlocks(values, hidden, padded, paddedHidden, rows, gates);
  if (transposed === undefined) return;
  const transpose = floats(workspace, transposed, width * paddedHidden);
  for (let i = 0; i < rows; i++) for (let column = 0; column < width; column++) transpose[column * paddedHidden + i] = padded[i * width + column];
}

/** Reads a padded [rows, gates·paddedHidden] matrix back as [rows, gates·hidden]. */
function readGateMatrix(workspace: Workspace, address: number, rows: number, { hidden, gates, paddedHidden }: Dims): Float32Array {
  const values = new Float32Array(rows * gates * hidden);
  copyBlocks(floats(workspace, address, rows * gates * paddedHidden), paddedHidden, values, hidden, rows, gates);
  return values;
}


/** The custom op: x, W, b and U → outputs [batch, time, hidden]. */
function recurrence(tf: Tf, x: tfjs.Tensor3D, weights: RecurrentWeights, dims: Dims, schedule: readonly ScheduledStep[]): tfjs.Tensor3D {
  const { batch, time, input, hidden, gates, paddedBatch, paddedInput, paddedHidden } = dims;
  const { kernel, recurrentKernel, bias } = weights;
  return runCustomOp(tf, { x, kernel, recurrentKernel, bias }, () => {
    const workspace = createWorkspace(dims);
    const kernelValues = kernel.dataSync() as Float32Array;
    writeGateMatrix(workspace, kernelValues, input, workspace.w, dims);
    writeGateMatrix(workspace, recurrentKernel.dataSync() as Float32Array, hidden, workspace.u, dims, workspace.uTransposed);
    writeGateMatrix(workspace, bias.dataSync() as Float32Array, 1, workspace.biasRows, dims);
    const width = gates * paddedHidden;
    const biasRows = floats(workspace, workspace.biasRows, paddedBatch * width);
    for (let row = 1; row < paddedBatch; row++) biasRows.copyWithin(row * width, 0, width);
    copyBlocks(valuesOf(x), input, floats(workspace, workspace.x, batch * time * paddedInput), paddedInput, batch * time, 1);
    runForward(workspace, dims, schedule);
    const positions = batch * time;
    const outputs = new Float32Array(positions * hidden);
    copyBlocks(floats(workspace, workspace.out, positions * paddedHidden), paddedHidden, outputs, hidden, positions, 1);
    let backwardDone = false;
    const runBackward = (dy: tfjs.Tensor) => {
      if (!backwardDone) {
        copyBlocks(valuesOf(dy), hidden, floats(workspace, workspace.dOut, positions * paddedHidden), paddedHidden, positions, 1);
        runBackwardSteps(workspace, dims, schedule);
      }
      backwardDone = true;
    };
    const gradient = (dy: tfjs.Tensor) => ({
      x: () => {
        runBackward(dy);
        const dz = new Float32Array(positions * gates * hidden);
        copyBlocks(floats(workspace, workspace.dz, positions * gates * paddedHidden), paddedHidden, dz, hidden, positions, gates);
        const dzMatrix = tf.tensor2d(dz, [positions, gates * hidden]);
        return tf.reshape(tf.matMul(dzMatrix, tf.transpose(tf.tensor2d(kernelValues, [input, gates * hidden]))), [batch, time, input]);
      },
      kernel: () => {
        runBackward(dy);
        return tf.tensor2d(readGateMatrix(workspace, workspace.dW, input, dims), [input, gates * hidden]);
      },
      recurrentKernel: () => {
        runBackward(dy);
        return tf.tensor2d(readGateMatrix(workspace, workspace.dU, hidden, dims), [hidden, gates * hidden]);
      },
      bias: () => {
        runBackward(dy);
        return tf.tensor1d(readGateMatrix(workspace, workspace.dBias, 1, dims));
      },
    });
    return { value: rememberValues(tf.tensor3d(outputs, [batch, time, hidden]), outputs), gradient };
  });
}

/** Byte address of position (row, t) in a [B, T, width] array at `base`. */
const at = (base: number, row: number, t: number, time: number, width: number): number => base + 4 * (row * time + t) * width;

function runForward(workspace: Workspace, { time, gates, paddedBatch, paddedInput, paddedHidden }: Dims, schedule: readonly ScheduledStep[]): void {
  const { kernels } = workspace;
  const width = gates * paddedHidden;
  const z = floats(workspace, workspace.z, paddedBatch * width);
  const biasRows = floats(workspace, workspace.biasRows, paddedBatch * width);
  for (const { t, rows } of schedule) {
    z.set(biasRows);
    kernels.inputMatmul(at(workspace.x, 0, t, time, paddedInput), 4 * time * paddedInput, workspace.w, workspace.z, 4 * width, paddedBatch, 1);
    kernels.forwardMatmul(workspace.h, 4 * paddedHidden, workspace.u, workspace.rec, 4 * width, paddedBatch, 0);
    for (const row of rows) {
      kernels.forwardRow(
        workspace.z + 4 * row * width,
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

function runBackwardSteps(workspace: Workspace, { batch, time, gates, paddedBatch, paddedInput, paddedHidden }: Dims, schedule: readonly ScheduledStep[]): void {
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
    // Rows padded at this step have dz = d(h·U) = 0 and h_{t−1} = 0 there, so running over
    // every row carries their dh and adds nothing to the weights' gradients.
    const positionStride = 4 * time * width;
    kernels.backwardMatmul(at(workspace.dRec, 0, t, time, width), positionStride, workspace.uTransposed, workspace.dh, 4 * paddedHidden, paddedBatch, 1);
    const dz = at(workspace.dz, 0, t, time, width);
    kernels.inputGradientMatmul(at(workspace.x, 0, t, time, paddedInput), 4 * time * paddedInput, dz, positionStride, workspace.dW, batch);
    kernels.recurrentGradientMatmul(at(workspace.hPrev, 0, t, time, paddedHidden), 4 * time * paddedHidden, at(workspace.dRec, 0, t, time, width), positionStride, workspace.dU, batch);
    kernels.columnSums(dz, positionStride, workspace.dBias, batch);
  }
}
