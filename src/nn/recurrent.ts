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
 * products for the weight gradients. When x is the lookup of a frozen table (`embed`), the
 * ~15,000 positions of a batch hold only ~2,700 distinct tokens: x·W + b is computed once per
 * distinct token, and W's gradient from the dz summed per token (see `recurrent-steps.ts`); an op
 * between the lookup and the layer makes x another tensor, which takes the per-position path.
 * A forward pass the tape does not record (evaluation) skips storing what only the backward
 * pass reads. Padded steps carry the state through and output 0, so
 * padding never changes a sequence's outputs; `reverse` walks time right to left, which visits
 * each sequence's real tokens in reverse whatever the padding. A bidirectional layer is one op
 * over both directions, each in a workspace of its own: on two threads they run at once, one per
 * thread, rather than one after the other with each direction's rows split between the threads.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { AttnlabError } from '../errors.js';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { distinctIds } from './distinct-tokens.js';
import { frozenLookupOf, gatherRows, type FrozenLookup } from './embedding.js';
import { RecycledFloats } from './recycled-floats.js';
import type { RecurrentOptions, RecurrentWeights } from './ops.js';
import { atEndOfPass, isScoring } from './scoring-pass.js';
import { valuesOf } from './values.js';
import type { ArenaRegion, KernelArena } from './threads/arena.js';
import { kernelThreads, type KernelThreads } from './threads/pool.js';
import { recurrentKernels, runRecurrentPart, type RecurrentJob } from './threads/jobs.js';
import { GATES, HIDDEN_ALIGNMENT, ROW_BLOCK, type CellType, type RecurrentKernels } from './wasm/recurrent-kernels.js';
import {
  clearBackward,
  clearForward,
  distinctRanges,
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
  return recurrentLayer(tf, x, mask, [{ weights, reverse: options.reverse ?? false }], 'lstm');
}

/**
 * GRU (gates r, z, n) over x [batch, time, in] → states [batch, time, hidden], 0 on padding.
 * The candidate is n = tanh(x·W_n + b_n + r ⊙ (h·U_n)), the "reset after" form of cuDNN and
 * PyTorch, without their second (recurrent) bias.
 */
export function gru(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options: RecurrentOptions = {}): tfjs.Tensor3D {
  return recurrentLayer(tf, x, mask, [{ weights, reverse: options.reverse ?? false }], 'gru');
}

/**
 * A bidirectional layer as one op: `forward`'s states left to right and `backward`'s right to
 * left, side by side → [batch, time, 2·hidden], what concatenating `cell`'s two directions gives.
 * On two threads or more, each direction runs whole on threads of its own, at the same time:
 * neither waits for the other's rows, and no thread's weight gradients need adding to another's.
 * The states are written side by side straight from the kernels' memory, and each direction's
 * gradient read from its half of dy.
 */
export function bidirectional(tf: Tf, cell: CellType, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, forward: RecurrentWeights, backward: RecurrentWeights): tfjs.Tensor3D {
  return recurrentLayer(tf, x, mask, [{ weights: forward, reverse: false }, { weights: backward, reverse: true }], cell);
}

/** One direction of a layer: its weights and whether it walks time right to left. */
interface DirectionWeights {
  readonly weights: RecurrentWeights;
  readonly reverse: boolean;
}

/** One direction as its recurrence reads it: with its inputs per token (a frozen lookup's) and its sizes. */
interface Direction extends DirectionWeights {
  readonly distinct: TokenInputs | undefined;
  readonly dims: RecurrentDims;
}

function recurrentLayer(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, directions: readonly DirectionWeights[], cell: CellType): tfjs.Tensor3D {
  const [batch, time, input] = x.shape;
  const gates = GATES[cell];
  const hidden = directions[0].weights.recurrentKernel.shape[0];
  const paddedHidden = roundUp(hidden, HIDDEN_ALIGNMENT);
  const tape = tapeState(tf);
  const sized = directions.map(({ weights, reverse }): Direction => {
    checkWeights(weights, input, hidden, gates);
    const distinct = tokenInputs(x, weights, tape, gates * paddedHidden);
    const dims: RecurrentDims = {
      cell,
      batch,
      time,
      input,
      hidden,
      gates,
      paddedBatch: roundUp(batch, ROW_BLOCK),
      paddedInput: roundUp(input, ROW_BLOCK),
      paddedHidden,
      byToken: distinct !== undefined,
      distinct: distinct?.count ?? 0,
      paddedDistinct: roundUp(distinct?.count ?? 0, ROW_BLOCK),
      taped: tape.recording,
    };
    return { weights, reverse, distinct, dims };
  });
  return recurrence(tf, x, mask, sized, tape);
}

function checkWeights({ kernel, recurrentKernel, bias }: RecurrentWeights, input: number, hidden: number, gates: number): void {
  const width = gates * hidden;
  if (recurrentKernel.shape[0] === hidden && recurrentKernel.shape[1] === width && kernel.shape[1] === width && kernel.shape[0] === input && bias.shape[0] === width) return;
  throw new AttnlabError(
    'recurrent-weights-shape',
    `recurrent weights have kernel [${kernel.shape}], recurrent kernel [${recurrentKernel.shape}] ` +
      `and bias [${bias.shape}]; with inputs of size ${input}, hidden ${hidden} and ${gates} gates they must be ` +
      `[${input},${width}], [${hidden},${width}] and [${width}]`,
  );
}

/**
 * Copies `rows` rows of `width` floats from rows `fromStride` apart, starting at `fromOffset`,
 * into rows `toStride` apart at `toOffset`: the kernels' padded rows in and out, and each
 * direction's half of a bidirectional layer's rows.
 */
function copyRows(from: Float32Array, fromStride: number, fromOffset: number, to: Float32Array, toStride: number, toOffset: number, rows: number, width: number): void {
  if (fromStride === width && toStride === width) {
    to.set(from.subarray(fromOffset, fromOffset + rows * width), toOffset);
    return;
  }
  for (let row = 0; row < rows; row++) {
    const source = row * fromStride + fromOffset;
    to.set(from.subarray(source, source + width), row * toStride + toOffset);
  }
}

/** The layers' states, in arrays reused once their tensors are disposed of. */
const recycledOutputs = new RecycledFloats();

/**
 * A frozen lookup's inputs, read per token: the token ids of the rows to project (gathered from
 * the table straight into the kernels' memory), each position's row of the projection P they
 * make, the lookup and, while scoring, the pass's kept projections, which P's rows are written
 * into and the steps read by token id.
 */
interface TokenInputs {
  readonly count: number;
  readonly ids: Int32Array;
  readonly tokenRows: Int32Array;
  readonly lookup: FrozenLookup;
  readonly kept?: PassProjections;
}

/** Per lookup, computed once: both directions of a bidirectional layer read the same x. */
const distinctInputsOf = new WeakMap<tfjs.Tensor, TokenInputs>();

/**
 * x's inputs per token when x is a frozen table's lookup; otherwise nothing (the per-position
 * path). While scoring, only the words the pass has not projected with these weights yet.
 */
function tokenInputs(x: tfjs.Tensor3D, weights: RecurrentWeights, tape: TapeState, width: number): TokenInputs | undefined {
  const lookup = frozenLookupOf(x);
  if (lookup === undefined) return undefined;
  const kept = tape.recording ? undefined : passProjections(weights, lookup, width);
  if (kept !== undefined) {
    const missing = kept.missing(lookup.ids);
    return { count: missing.length, ids: missing, tokenRows: lookup.ids, lookup, kept };
  }
  let inputs = distinctInputsOf.get(x);
  if (inputs === undefined) {
    const { distinct, slots } = distinctIds(lookup.ids);
    inputs = { count: distinct.length, ids: distinct, tokenRows: slots, lookup };
    distinctInputsOf.set(x, inputs);
  }
  return inputs;
}

/** One recurrence's region of the pool's kernel memory, its layout, and how its rows are split across threads. */
interface Workspace extends RecurrentLayout {
  readonly threads: KernelThreads;
  readonly kernels: RecurrentKernels;
  readonly region: ArenaRegion;
  /** One range of batch rows per thread it runs on; a single range runs on one thread. */
  readonly ranges: readonly RowRange[];
  /** The same for the distinct inputs' rows, at most as many (none without them). */
  readonly distinctRanges: readonly RowRange[];
}

/** A direction in its workspace. */
interface OpenDirection extends Direction {
  readonly workspace: Workspace;
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
 * Lays a direction's arrays out in a region of the pool's memory, which every recurrence of the
 * pool reuses, its rows split into `parts` ranges, each with its own weight-gradient slot. A
 * recorded forward pass keeps its region while its tape is the engine's: its backward pass can
 * only come until then (the engine's `gradients` starts a fresh tape each time and drops it once
 * done); an unrecorded one, only until it returns.
 */
function openWorkspace(threads: KernelThreads, dims: RecurrentDims, { tape, recording }: TapeState, parts: number, outputs: number): Workspace {
  const { arena } = threads;
  const ranges = rowRanges(dims, parts);
  // No more ranges of distinct rows than of batch rows: each has its gradient slot.
  const distinct = dims.distinct > 0 ? distinctRanges(dims, ranges.length) : [];
  const { bytes } = layoutRecurrence(dims, ranges.length, 0, outputs);
  const region = arena.allocate(bytes, recording ? tape : undefined);
  const { layout } = layoutRecurrence(dims, ranges.length, region.address, outputs);
  return { ...layout, threads, kernels: recurrentKernels(arena.instances, dims, arena.shared), region, ranges, distinctRanges: distinct };
}

/**
 * Opens a workspace per direction. Two directions on two threads or more run side by side, the
 * threads shared out between them; otherwise one after the other, each on every thread. The
 * first direction's workspace holds every direction's outputs side by side, as the layer returns
 * them: each direction writes its part of every position there.
 */
function openDirections(directions: readonly Direction[], tape: TapeState): { open: OpenDirection[]; sideBySide: boolean } {
  const threads = kernelThreads();
  threads.arena.releaseOthers(tape.tape);
  // Below the workspaces, which are released first.
  for (const { distinct } of directions) distinct?.kept?.open(threads.arena);
  const sideBySide = directions.length > 1 && threads.count >= directions.length;
  const parts = sideBySide ? Math.floor(threads.count / directions.length) : threads.count;
  const open = directions.map((direction, d) => ({ ...direction, workspace: openWorkspace(threads, direction.dims, tape, parts, d === 0 ? directions.length : 0) }));
  const { out, outStride } = open[0].workspace;
  const placed = open.map((direction, d) => ({ ...direction, workspace: { ...direction.workspace, out: out + 4 * d * direction.dims.paddedHidden, outStride } }));
  return { open: placed, sideBySide };
}

const PHASES: Record<RecurrentJob['kind'], string> = {
  'recurrent-projection': 'forward: distinct projection',
  'recurrent-forward': 'forward',
  'recurrent-backward': 'backward',
  'recurrent-distinct-gradient': 'backward: distinct inputs',
};

/**
 * Runs `kind` for every direction over its ranges (of batch rows, or of distinct rows for the
 * projection and its gradient), range i's gradients into its slot i: side by side, all ranges at
 * once; otherwise one direction after the other. The first range of a call runs on this thread.
 */
function runDirections(directions: readonly OpenDirection[], kind: RecurrentJob['kind'], sideBySide: boolean): void {
  const jobsOf = ({ workspace, dims, reverse }: OpenDirection): RecurrentJob[] => {
    const ranges = kind === 'recurrent-projection' || kind === 'recurrent-distinct-gradient' ? workspace.distinctRanges : workspace.ranges;
    return ranges.map((range, slot) => ({ kind, dims, layout: layoutOf(workspace), reverse, range, slot }));
  };
  const calls = sideBySide ? [directions.flatMap(jobsOf)] : directions.map(jobsOf);
  for (const [own, ...others] of calls.filter((jobs) => jobs.length > 0)) {
    const { threads, kernels } = directions[0].workspace;
    const runOwn = () => runRecurrentPart(kernels, threads.arena.memory.buffer, own);
    const phase = PHASES[kind];
    if (others.length === 0) threads.timed(`${phase}: own rows`, runOwn);
    else threads.run(others, runOwn, phase);
  }
}

/** The backward rows, then (with distinct inputs) W's and b's gradients from dP, then each direction's slots added up. */
function runBackwardPass(directions: readonly OpenDirection[], sideBySide: boolean): void {
  runDirections(directions, 'recurrent-backward', sideBySide);
  runDirections(directions, 'recurrent-distinct-gradient', sideBySide);
  for (const { workspace, dims } of directions) {
    if (workspace.gradients.length > 1) workspace.threads.timed('backward: gradient reduction', () => reduceGradients(workspace.threads.arena.memory.buffer, workspace, dims));
  }
}

/** The plain addresses of a workspace, which a kernel thread gets. */
function layoutOf({ threads: _threads, kernels: _kernels, region: _region, ranges: _ranges, distinctRanges: _distinctRanges, ...layout }: Workspace): RecurrentLayout {
  return layout;
}

const floats = (workspace: Workspace, address: number, length: number): Float32Array => new Float32Array(workspace.threads.arena.memory.buffer, address, length);

/**
 * Copies `rows` rows of `groups` blocks from a layout `fromWidth` wide per block into one
 * `toWidth` wide, the narrower width per block: the padding of the hidden units in and out.
 */
function copyBlocks(from: Float32Array, fromWidth: number, to: Float32Array, toWidth: number, rows: number, groups: number): void {
  copyRows(from, fromWidth, 0, to, toWidth, 0, rows * groups, Math.min(fromWidth, toWidth));
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

/** Writes a direction's weights, bias rows, mask and inputs into its fresh workspace, clearing what the kernels need at 0. */
function writeInputs({ workspace, weights, distinct, dims }: OpenDirection, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, kernelValues: Float32Array): void {
  const { batch, time, input, hidden, gates, paddedBatch, paddedInput, paddedHidden } = dims;
  floats(workspace, workspace.mask, batch * time).set(valuesOf(mask));
  clearForward(workspace.threads.arena.memory.buffer, workspace, dims);
  writeGateMatrix(workspace, kernelValues, input, workspace.w, dims);
  writeGateMatrix(workspace, weights.recurrentKernel.dataSync() as Float32Array, hidden, workspace.u, dims, workspace.uTransposed);
  writeGateMatrix(workspace, weights.bias.dataSync() as Float32Array, 1, workspace.biasRows, dims);
  const width = gates * paddedHidden;
  const biasRows = floats(workspace, workspace.biasRows, paddedBatch * width);
  for (let row = 1; row < paddedBatch; row++) biasRows.copyWithin(row * width, 0, width);
  if (distinct === undefined) {
    copyBlocks(valuesOf(x), input, floats(workspace, workspace.x, batch * time * paddedInput), paddedInput, batch * time, 1);
    return;
  }
  gatherRows(valuesOf(distinct.lookup.table), distinct.ids, input, floats(workspace, workspace.xDistinct, distinct.count * paddedInput), paddedInput);
  new Int32Array(workspace.threads.arena.memory.buffer, workspace.tokenRows, batch * time).set(distinct.tokenRows);
}

/** Kept projections per layer at most: a table of more rows than this projects every batch's words afresh. */
const MOST_KEPT_PROJECTION_BYTES = 256 * 2 ** 20;

/**
 * The projections x·W + b of a table's words a layer met in the running scoring pass, a row per
 * word of the table [rows, gates·paddedHidden], in the kernels' memory. Each word is projected
 * once per pass rather than once per batch it occurs in, and the steps read its row there: no
 * batch gathers or copies rows of words already projected. Released when the pass ends.
 */
class PassProjections {
  private region: ArenaRegion | undefined;
  private arena: KernelArena | undefined;
  private readonly known: Uint8Array;

  constructor(
    /** The table whose words it holds, [rows, input]. */
    readonly table: tfjs.Tensor,
    readonly width: number,
  ) {
    this.known = new Uint8Array(this.rows);
  }

  get rows(): number {
    return this.table.shape[0];
  }

  /** The ids of `ids` not projected yet, each once, in order of first sight. */
  missing(ids: Int32Array): Int32Array {
    const { known } = this;
    return distinctIds(ids.filter((id) => known[id] === 0)).distinct;
  }

  /** Takes its region in `arena` on the first call. */
  open(arena: KernelArena): void {
    if (this.region !== undefined) return;
    this.region = arena.allocate(4 * this.rows * this.width);
    this.arena = arena;
  }

  release(): void {
    if (this.region !== undefined) this.arena?.release(this.region);
  }

  /** The address of its first row; {@link open} must have run. */
  get address(): number {
    if (this.region === undefined) throw new Error('PassProjections.address before open');
    return this.region.address;
  }

  /** Writes `projected` [ids.length, width], the projections of `ids`, into their rows. */
  add(buffer: ArrayBufferLike, ids: Int32Array, projected: Float32Array): void {
    const { width } = this;
    const table = new Float32Array(buffer, this.address, this.rows * width);
    ids.forEach((id, index) => {
      table.set(projected.subarray(index * width, (index + 1) * width), id * width);
      this.known[id] = 1;
    });
  }
}

/** Per layer (by its kernel), for the running scoring pass. */
const passProjectionsOf = new WeakMap<tfjs.Variable, PassProjections>();

/**
 * The layer's kept projections while a pass scores; none outside one, for a table too large to
 * keep, or for another table than the one the layer met first in the pass.
 */
function passProjections({ kernel }: RecurrentWeights, { table }: FrozenLookup, width: number): PassProjections | undefined {
  if (!isScoring() || 4 * table.shape[0] * width > MOST_KEPT_PROJECTION_BYTES) return undefined;
  let kept = passProjectionsOf.get(kernel);
  if (kept !== undefined && kept.table !== table) return undefined;
  if (kept === undefined) {
    const created = (kept = new PassProjections(table, width));
    passProjectionsOf.set(kernel, created);
    atEndOfPass(() => {
      created.release();
      passProjectionsOf.delete(kernel);
    });
  }
  return kept;
}

/**
 * P = x·W + b for every direction's rows to project, into its workspace, split across threads by
 * rows; with kept projections, copied into their rows. Returns the directions as their steps read
 * them: P's rows at the kept projections when there are some.
 */
function projectTokens(directions: readonly OpenDirection[], sideBySide: boolean): OpenDirection[] {
  runDirections(directions, 'recurrent-projection', sideBySide);
  return directions.map((direction) => {
    const { workspace, distinct } = direction;
    const kept = distinct?.kept;
    if (distinct === undefined || kept === undefined) return direction;
    const projected = floats(workspace, workspace.projected, distinct.count * kept.width);
    workspace.threads.timed('forward: kept projections in', () => kept.add(workspace.threads.arena.memory.buffer, distinct.ids, projected));
    return { ...direction, workspace: { ...workspace, projected: kept.address } };
  });
}

/**
 * The custom op: x and each direction's W, U and b → the directions' states side by side,
 * [batch, time, directions·hidden]. Direction d's weights are the inputs `kernel<d>`,
 * `recurrentKernel<d>` and `bias<d>`.
 */
function recurrence(tf: Tf, x: tfjs.Tensor3D, mask: tfjs.Tensor2D, directions: readonly Direction[], tape: TapeState): tfjs.Tensor3D {
  const { batch, time, input, hidden, gates, paddedHidden } = directions[0].dims;
  const positions = batch * time;
  const width = directions.length * hidden;
  const weightInputs = directions.flatMap(({ weights }, d) => [[`kernel${d}`, weights.kernel], [`recurrentKernel${d}`, weights.recurrentKernel], [`bias${d}`, weights.bias]] as const);
  const inputs: Record<string, tfjs.Tensor> = { x, ...Object.fromEntries(weightInputs) };
  return runCustomOp(tf, inputs, () => {
    const { open, sideBySide } = openDirections(directions, tape);
    const { threads } = open[0].workspace;
    const kernelValues = open.map(({ weights }) => weights.kernel.dataSync() as Float32Array);
    threads.timed('forward: copies in', () => open.forEach((direction, d) => writeInputs(direction, x, mask, kernelValues[d])));
    runDirections(open[0].distinct === undefined ? open : projectTokens(open, sideBySide), 'recurrent-forward', sideBySide);
    const outputs = recycledOutputs.take(positions * width);
    const { out, outStride } = open[0].workspace;
    threads.timed('forward: copies out', () => copyBlocks(floats(open[0].workspace, out, positions * outStride), paddedHidden, outputs, hidden, positions, open.length));
    if (!tape.recording) for (const { workspace } of open) threads.arena.release(workspace.region);
    let backwardDone = false;
    const runBackward = (dy: tfjs.Tensor) => {
      if (!backwardDone) {
        threads.timed('backward: copies in', () =>
          open.forEach(({ workspace, dims }, d) => {
            clearBackward(threads.arena.memory.buffer, workspace, dims);
            copyRows(valuesOf(dy), width, d * hidden, floats(workspace, workspace.dOut, positions * paddedHidden), paddedHidden, 0, positions, hidden);
          }),
        );
        runBackwardPass(open, sideBySide);
      }
      backwardDone = true;
    };
    const gradient = (dy: tfjs.Tensor) => {
      const thunk = (name: string, read: () => tfjs.Tensor) => () => {
        runBackward(dy);
        return threads.timed(`backward: ${name} gradient out`, read);
      };
      // dx = Σ over directions of dz·Wᵀ.
      const inputGradient = ({ workspace }: OpenDirection, d: number): tfjs.Tensor2D => {
        const dz = new Float32Array(positions * gates * hidden);
        copyBlocks(floats(workspace, workspace.dz, positions * gates * paddedHidden), paddedHidden, dz, hidden, positions, gates);
        return tf.matMul(tf.tensor2d(dz, [positions, gates * hidden]), tf.transpose(tf.tensor2d(kernelValues[d], [input, gates * hidden])));
      };
      const weightGradients = open.flatMap(({ workspace, dims }, d) => {
        const read = (address: number, rows: number) => readGateMatrix(workspace, address, rows, dims);
        const slot = workspace.gradients[0];
        return [
          [`kernel${d}`, thunk('weight', () => tf.tensor2d(read(slot.dW, input), [input, gates * hidden]))],
          [`recurrentKernel${d}`, thunk('weight', () => tf.tensor2d(read(slot.dU, hidden), [hidden, gates * hidden]))],
          [`bias${d}`, thunk('weight', () => tf.tensor1d(read(slot.dBias, 1)))],
        ] as const;
      });
      return {
        x: thunk('x', () => tf.reshape(open.map(inputGradient).reduce((sum, part) => tf.add(sum, part)), [batch, time, input])),
        ...Object.fromEntries(weightGradients),
      };
    };
    return { value: recycledOutputs.tensor<tfjs.Rank.R3>(tf, outputs, [batch, time, width]), gradient };
  });
}
