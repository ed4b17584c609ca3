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
import type { ArenaRegion } from './threads/arena.js';
import { kernelThreads, type KernelThreads } from './threads/pool.js';
import { recurrentKernels, type RecurrentJob } from './threads/jobs.js';
import { GATES, HIDDEN_ALIGNMENT, ROW_BLOCK, type CellType, type RecurrentKernels } from './wasm/recurrent-kernels.js';
import {
  backwardRows,
  clearBackward,
  clearForward,
  forwardRows,
  layoutRecurrence,
  reduceGradients,
  roundUp,
  rowRanges,
  type RecurrentDims,
  type RecurrentLayout,
  type RowRange,
} from './wasm/recurrent-steps.js';

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

/** One recurrence's region of the pool's kernel memory, its layout, and how its rows are split across threads. */
interface Workspace extends RecurrentLayout {
  readonly threads: KernelThreads;
  readonly kernels: RecurrentKernels;
  readonly region: ArenaRegion;
  /** One range per thread; a single range runs on the calling thread alone. */
  readonly ranges: readonly RowRange[];
}

/** The engine's gradient tape when a recurrence starts, and whether its forward pass records on it. */
interface TapeState {
  readonly tape: object | undefined;
  readonly recording: boolean;
}

/** Read before the op runs: inside it, the engine records nothing. */
function tapeState(tf: Tf): TapeState {
  const engine = tf.engine();
  return { tape: engine.state.activeTape ?? undefined, recording: engine.isTapeOn() };
}

/**
 * Lays the arrays out in a region of the pool's memory, which every recurrence of the pool
 * reuses. A recorded forward pass keeps its region while its tape is the engine's: its backward
 * pass can only come until then (the engine's `gradients` starts a fresh tape each time and
 * drops it once done); an unrecorded one, only until it returns. Split across threads, each
 * range of rows has its own weight-gradient slot.
 */
function openWorkspace(dims: RecurrentDims, { tape, recording }: TapeState): Workspace {
  const threads = kernelThreads();
  const { arena } = threads;
  arena.releaseOthers(tape);
  const ranges = rowRanges(dims, threads.count);
  const { bytes } = layoutRecurrence(dims, ranges.length);
  const region = arena.allocate(bytes, recording ? tape : undefined);
  const { layout } = layoutRecurrence(dims, ranges.length, region.address);
  return { ...layout, threads, kernels: recurrentKernels(arena.instances, dims, arena.shared), region, ranges };
}

/** Runs `kind` over every range of rows: the first on this thread, the others on kernel threads. */
function runRanges(workspace: Workspace, dims: RecurrentDims, reverse: boolean, kind: RecurrentJob['kind']): void {
  const { kernels, ranges, threads } = workspace;
  const buffer = threads.arena.memory.buffer;
  const own = () =>
    kind === 'recurrent-forward'
      ? forwardRows(kernels, buffer, workspace, dims, reverse, ranges[0])
      : backwardRows(kernels, buffer, workspace, dims, reverse, ranges[0], workspace.gradients[0]);
  const phase = kind === 'recurrent-forward' ? 'forward' : 'backward';
  if (ranges.length === 1) {
    threads.timed(`${phase}: own rows`, own);
    return;
  }
  const layout = layoutOf(workspace);
  const jobs = ranges.slice(1).map((range, index): RecurrentJob => ({ kind, dims, layout, reverse, range, slot: index + 1 }));
  threads.run(jobs, own, phase);
  if (kind === 'recurrent-backward') threads.timed('backward: gradient reduction', () => reduceGradients(buffer, workspace, dims));
}

/** The plain addresses of a workspace, which a kernel thread gets. */
function layoutOf({ threads: _threads, kernels: _kernels, region: _region, ranges: _ranges, ...layout }: Workspace): RecurrentLayout {
  return layout;
}

const floats = (workspace: Workspace, address: number, length: number): Float32Array => new Float32Array(workspace.threads.arena.memory.buffer, address, length);

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


/** Writes the weights, the bias rows, the mask and x into a fresh workspace, clearing what the kernels need at 0. */
function writeInputs(workspace: Workspace, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, kernelValues: Float32Array, dims: RecurrentDims): void {
  const { batch, time, input, hidden, gates, paddedBatch, paddedInput, paddedHidden } = dims;
  floats(workspace, workspace.mask, batch * time).set(valuesOf(mask));
  clearForward(workspace.threads.arena.memory.buffer, workspace, dims);
  writeGateMatrix(workspace, kernelValues, input, workspace.w, dims);
  writeGateMatrix(workspace, weights.recurrentKernel.dataSync() as Float32Array, hidden, workspace.u, dims, workspace.uTransposed);
  writeGateMatrix(workspace, weights.bias.dataSync() as Float32Array, 1, workspace.biasRows, dims);
  const width = gates * paddedHidden;
  const biasRows = floats(workspace, workspace.biasRows, paddedBatch * width);
  for (let row = 1; row < paddedBatch; row++) biasRows.copyWithin(row * width, 0, width);
  copyBlocks(valuesOf(x), input, floats(workspace, workspace.x, batch * time * paddedInput), paddedInput, batch * time, 1);
}

/** The custom op: x, W, b and U → outputs [batch, time, hidden]. */
function recurrence(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, dims: RecurrentDims, reverse: boolean): tfjs.Tensor3D {
  const { batch, time, input, hidden, gates, paddedHidden } = dims;
  const { kernel, recurrentKernel, bias } = weights;
  const tape = tapeState(tf);
  return runCustomOp(tf, { x, kernel, recurrentKernel, bias }, () => {
    const workspace = openWorkspace(dims, tape);
    const { threads } = workspace;
    const kernelValues = kernel.dataSync() as Float32Array;
    threads.timed('forward: copies in', () => writeInputs(workspace, x, mask, weights, kernelValues, dims));
    runRanges(workspace, dims, reverse, 'recurrent-forward');
    const positions = batch * time;
    const outputs = new Float32Array(positions * hidden);
    threads.timed('forward: copies out', () => copyBlocks(floats(workspace, workspace.out, positions * paddedHidden), paddedHidden, outputs, hidden, positions, 1));
    if (!tape.recording) threads.arena.release(workspace.region);
    let backwardDone = false;
    const runBackward = (dy: tfjs.Tensor) => {
      if (!backwardDone) {
        threads.timed('backward: copies in', () => {
          clearBackward(threads.arena.memory.buffer, workspace, dims);
          copyBlocks(valuesOf(dy), hidden, floats(workspace, workspace.dOut, positions * paddedHidden), paddedHidden, positions, 1);
        });
        runRanges(workspace, dims, reverse, 'recurrent-backward');
      }
      backwardDone = true;
    };
    const gradient = (dy: tfjs.Tensor) => {
      const thunk = (name: string, read: () => tfjs.Tensor) => () => {
        runBackward(dy);
        return threads.timed(`backward: ${name} gradient out`, read);
      };
      return {
        x: thunk('x', () => {
          const dz = new Float32Array(positions * gates * hidden);
          copyBlocks(floats(workspace, workspace.dz, positions * gates * paddedHidden), paddedHidden, dz, hidden, positions, gates);
          const dzMatrix = tf.tensor2d(dz, [positions, gates * hidden]);
          return tf.reshape(tf.matMul(dzMatrix, tf.transpose(tf.tensor2d(kernelValues, [input, gates * hidden]))), [batch, time, input]);
        }),
        kernel: thunk('weight', () => tf.tensor2d(readGateMatrix(workspace, workspace.gradients[0].dW, input, dims), [input, gates * hidden])),
        recurrentKernel: thunk('weight', () => tf.tensor2d(readGateMatrix(workspace, workspace.gradients[0].dU, hidden, dims), [hidden, gates * hidden])),
        bias: thunk('weight', () => tf.tensor1d(readGateMatrix(workspace, workspace.gradients[0].dBias, 1, dims))),
      };
    };
    return { value: rememberValues(tf.tensor3d(outputs, [batch, time, hidden]), outputs), gradient };
  });
}
