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
import { kernelThreadCount, kernelThreads } from './threads/pool.js';
import { sharedRecurrentKernels, type RecurrentJob } from './threads/jobs.js';
import { createMemory, createSharedMemory, instantiate, type WasmMemory } from './wasm/runtime.js';
import { GATES, HIDDEN_ALIGNMENT, recurrentModule, ROW_BLOCK, type CellType, type RecurrentKernels } from './wasm/recurrent-kernels.js';
import { backwardRows, forwardRows, layoutRecurrence, reduceGradients, roundUp, rowRanges, type RecurrentDims, type RecurrentLayout, type RowRange } from './wasm/recurrent-steps.js';

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
  const dims: RecurrentDims = {
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
  return recurrence(tf, x, mask, weights, dims, options.reverse ?? false);
}

/** One recurrence's kernel memory, its layout, and how its rows are split across threads. */
interface Workspace extends RecurrentLayout {
  readonly kernels: RecurrentKernels;
  readonly memory: WasmMemory;
  /** One range per thread; a single range runs on the calling thread alone, in an unshared memory. */
  readonly ranges: readonly RowRange[];
}

/**
 * Lays the arrays out in a fresh memory (zero-filled, which the kernels rely on: padding lanes
 * and rows, and positions no step visits, stay 0). Each recurrence gets its own memory, so a
 * layer keeps what its backward pass needs while other layers run; the pages the OS has not yet
 * touched (the backward arrays, in evaluation) cost nothing. Split across threads, the memory is
 * shared and each range of rows has its own weight-gradient slot.
 */
function createWorkspace(dims: RecurrentDims): Workspace {
  const ranges = rowRanges(dims, kernelThreadCount());
  const { layout, bytes } = layoutRecurrence(dims, ranges.length);
  const shared = ranges.length > 1;
  const memory = shared ? createSharedMemory(bytes) : createMemory(bytes);
  const kernels = shared ? sharedRecurrentKernels(memory, dims) : instantiate<RecurrentKernels>(recurrentModule(dims.cell, dims.paddedHidden, dims.paddedInput), memory);
  return { ...layout, kernels, memory, ranges };
}

/** Runs `kind` over every range of rows: the first on this thread, the others on kernel threads. */
function runRanges(workspace: Workspace, dims: RecurrentDims, reverse: boolean, kind: RecurrentJob['kind']): void {
  const { kernels, memory, ranges } = workspace;
  const own = () =>
    kind === 'recurrent-forward'
      ? forwardRows(kernels, memory.buffer, workspace, dims, reverse, ranges[0])
      : backwardRows(kernels, memory.buffer, workspace, dims, reverse, ranges[0], workspace.gradients[0]);
  if (ranges.length === 1) {
    own();
    return;
  }
  const jobs = ranges.slice(1).map((range, index): RecurrentJob => ({ kind, memory, dims, layout: layoutOf(workspace), reverse, range, slot: index + 1 }));
  kernelThreads().run(jobs, own);
  if (kind === 'recurrent-backward') reduceGradients(memory.buffer, workspace, dims);
}

/** The plain addresses of a workspace, which a kernel thread gets (its kernels and memory do not clone as such). */
function layoutOf({ kernels: _kernels, memory: _memory, ranges: _ranges, ...layout }: Workspace): RecurrentLayout {
  return layout;
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
function writeGateMatrix(workspace: Workspace, values: Float32Array, rows: number, target: number, { hidden, gates, paddedHidden }: RecurrentDims, transposed?: number): void {
  const width = gates * paddedHidden;
  const padded = floats(workspace, target, rows * width);
  copyBlocks(values, hidden, padded, paddedHidden, rows, gates);
  if (transposed === undefined) return;
  const transpose = floats(workspace, transposed, width * paddedHidden);
  for (let i = 0; i < rows; i++) for (let column = 0; column < width; column++) transpose[column * paddedHidden + i] = padded[i * width + column];
}

/** Reads a padded [rows, gates·paddedHidden] matrix back as [rows, gates·hidden]. */
function readGateMatrix(workspace: Workspace, address: number, rows: number, { hidden, gates, paddedHidden }: RecurrentDims): Float32Array {
  const values = new Float32Array(rows * gates * hidden);
  copyBlocks(floats(workspace, address, rows * gates * paddedHidden), paddedHidden, values, hidden, rows, gates);
  return values;
}


/** The custom op: x, W, b and U → outputs [batch, time, hidden]. */
function recurrence(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, dims: RecurrentDims, reverse: boolean): tfjs.Tensor3D {
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
    floats(workspace, workspace.mask, batch * time).set(valuesOf(mask));
    runRanges(workspace, dims, reverse, 'recurrent-forward');
    const positions = batch * time;
    const outputs = new Float32Array(positions * hidden);
    copyBlocks(floats(workspace, workspace.out, positions * paddedHidden), paddedHidden, outputs, hidden, positions, 1);
    let backwardDone = false;
    const runBackward = (dy: tfjs.Tensor) => {
      if (!backwardDone) {
        copyBlocks(valuesOf(dy), hidden, floats(workspace, workspace.dOut, positions * paddedHidden), paddedHidden, positions, 1);
        runRanges(workspace, dims, reverse, 'recurrent-backward');
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
        return tf.tensor2d(readGateMatrix(workspace, workspace.gradients[0].dW, input, dims), [input, gates * hidden]);
      },
      recurrentKernel: () => {
        runBackward(dy);
        return tf.tensor2d(readGateMatrix(workspace, workspace.gradients[0].dU, hidden, dims), [hidden, gates * hidden]);
      },
      bias: () => {
        runBackward(dy);
        return tf.tensor1d(readGateMatrix(workspace, workspace.gradients[0].dBias, 1, dims));
      },
    });
    return { value: rememberValues(tf.tensor3d(outputs, [batch, time, hidden]), outputs), gradient };
  });
}
