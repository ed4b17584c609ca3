/**
 * The step loops of one LSTM/GRU recurrence over a range of its batch rows, on the kernels of
 * `recurrent-kernels.ts` and the arrays of one kernel memory. Rows are independent in the
 * recurrence, so ranges of rows run on different threads without any per-step synchronisation:
 * each range writes only its own rows, and its weight gradients into its own gradient slot,
 * which the caller adds up once the ranges are done.
 *
 * When the inputs are rows of a frozen table, a batch holds each distinct token ~5 times: their
 * projection P = x·W + b is then computed once per distinct token (split across threads by rows,
 * before the steps), each step's gates read their row of P, and the backward pass adds each
 * position's dz into its token's row of its slot's dP; once the ranges are done, W's and b's
 * gradients come from X_distinctᵀ·dP and dP's column sums, split across threads by distinct rows.
 */
import { ROW_BLOCK, type CellType, type RecurrentKernels } from './recurrent-kernels.js';

/** Sizes of one recurrence; the kernels work on the padded ones. */
export interface RecurrentDims {
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
  /**
   * Whether the inputs are a frozen table's rows, each step then reading its positions' x·W + b
   * from the row of P that `tokenRows` names (see the module's comment); otherwise inputs per position.
   */
  readonly byToken: boolean;
  /** With `byToken`: the rows to project into P, the distinct inputs or (scoring) the words not projected yet. */
  readonly distinct: number;
  /** `distinct` rounded up to the matmul's row block. */
  readonly paddedDistinct: number;
  /** Whether a backward pass may follow: only then does the forward pass keep what it reads. */
  readonly taped: boolean;
}

/** Where one range of rows accumulates the gradients of W, U and b, padded like them. */
export interface GradientSlot {
  readonly dW: number;
  readonly dU: number;
  readonly dBias: number;
  /** With distinct inputs: the gradient of their projection P [distinct, gates·hidden]. */
  readonly dP: number;
}

/**
 * Byte addresses of one recurrence's arrays in its kernel memory; `[B, T, ·]` arrays run over
 * the padded batch so that the matmuls may read whole row blocks.
 */
export interface RecurrentLayout {
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
  /** The inputs [B, T, input], padded (none with distinct inputs). */
  readonly x: number;
  /** With `byToken`: the rows to project [paddedDistinct, paddedInput], their projection P [paddedDistinct, gates·hidden], each position's row of P (int32 [batch, time]). */
  readonly xDistinct: number;
  readonly projected: number;
  readonly tokenRows: number;
  /** The mask [batch, time]: > 0 on real tokens. */
  readonly mask: number;
  /** Per position [B, T, gates·hidden]: activations, dz, d(h·U) (GRU; LSTM: dz); these and the ones below exist only when taped. */
  readonly act: number;
  readonly dz: number;
  readonly dRec: number;
  /** Per position [B, T, hidden]: h_{t−1}, outputs, dL/d outputs, and the cell's saved values. */
  readonly hPrev: number;
  /** The outputs are `outStride` floats apart: a bidirectional layer's directions share one array, each writing its part of every position. */
  readonly out: number;
  readonly outStride: number;
  readonly dOut: number;
  readonly savedA: number;
  readonly savedB: number;
  /** One slot per range of rows; the first is the gradients' final place. */
  readonly gradients: readonly GradientSlot[];
}

/** Rows `start` (a multiple of the row block) to `end` (exclusive, at most the batch). */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

export const roundUp = (value: number, multiple: number): number => Math.ceil(value / multiple) * multiple;

/**
 * Lays the arrays out from byte address `base` (a multiple of 16), with `slots` gradient slots;
 * returns the layout and the bytes it spans. The arrays before `x` (weights, bias rows, per-step
 * rows and states) come first, so that one fill clears them all (see {@link clearForward}).
 * Arrays a recurrence does not use take no space. The outputs' array holds `outputs` directions'
 * outputs side by side (0: the caller places them in another layout's).
 */
export function layoutRecurrence(dims: RecurrentDims, slots: number, base = 0, outputs = 1): { layout: RecurrentLayout; bytes: number } {
  const { cell, batch, time, gates, paddedBatch, paddedInput, paddedHidden, byToken, distinct, paddedDistinct, taped } = dims;
  const width = gates * paddedHidden;
  const stateFloats = paddedBatch * paddedHidden;
  const positionFloats = paddedBatch * time * paddedHidden;
  const savedFloats = taped ? positionFloats : 0;
  let end = base;
  const take = (floats: number): number => {
    const address = end;
    end += roundUp(floats * 4, 16);
    return address;
  };
  const lstm = cell === 'lstm';
  const arrays = {
    w: take(paddedInput * width),
    u: take(paddedHidden * width),
    uTransposed: take(paddedHidden * width),
    biasRows: take(paddedBatch * width),
    z: take(paddedBatch * width),
    rec: take(paddedBatch * width),
    h: take(stateFloats),
    c: take(lstm ? stateFloats : 0),
    dh: take(stateFloats),
    dc: take(lstm ? stateFloats : 0),
    x: take(byToken ? 0 : paddedBatch * time * paddedInput),
    xDistinct: take(paddedDistinct * paddedInput),
    projected: take(paddedDistinct * width),
    tokenRows: take(byToken ? batch * time : 0),
    mask: take(batch * time),
    act: take(gates * savedFloats),
    dz: take(gates * savedFloats),
  };
  const dRec = lstm ? arrays.dz : take(gates * savedFloats);
  const positions = { hPrev: take(savedFloats), out: take(positionFloats * outputs), outStride: paddedHidden * outputs, dOut: take(savedFloats), savedA: take(savedFloats), savedB: take(lstm ? savedFloats : 0) };
  const gradients = Array.from({ length: taped ? slots : 0 }, () => ({ dW: take(paddedInput * width), dU: take(paddedHidden * width), dBias: take(width), dP: take(distinct * width) }));
  return { layout: { ...arrays, dRec, ...positions, gradients }, bytes: end - base };
}

const zero = (buffer: ArrayBufferLike, from: number, to: number): void => void new Uint8Array(buffer, from, to - from).fill(0);

/**
 * Position ranges [from, to) of a [paddedBatch, time] array that no step visits: the masked
 * positions of each row, and all of the padding rows (a range may run on into the next row:
 * the arrays are row-major).
 */
function unvisitedSpans(buffer: ArrayBufferLike, layout: RecurrentLayout, { batch, time, paddedBatch }: RecurrentDims): (readonly [number, number])[] {
  const mask = new Float32Array(buffer, layout.mask, batch * time);
  const spans: [number, number][] = [];
  for (let position = 0; position < batch * time; position++) {
    if (mask[position] > 0) continue;
    const last = spans.at(-1);
    if (last !== undefined && last[1] === position) last[1]++;
    else spans.push([position, position + 1]);
  }
  if (paddedBatch > batch) spans.push([batch * time, paddedBatch * time]);
  return spans;
}

/** Clears the positions of `spans` in [paddedBatch, time, ·] arrays: `width` floats of each position, positions `stride` floats apart (`width` unless given). */
function clearSpans(buffer: ArrayBufferLike, spans: readonly (readonly [number, number])[], arrays: readonly (readonly [address: number, width: number, stride?: number])[]): void {
  for (const [address, width, stride = width] of arrays) {
    for (const [from, to] of spans) {
      if (stride === width) zero(buffer, address + 4 * from * width, address + 4 * to * width);
      else for (let position = from; position < to; position++) zero(buffer, address + 4 * position * stride, address + 4 * (position * stride + width));
    }
  }
}

/**
 * In a memory earlier calls used, clears what the forward pass relies on being 0, once the mask
 * is in place and before the inputs are: the weights' padding lanes, the initial states, the
 * inputs' padding (lanes and rows), and the outputs and h_{t−1} where no step writes them.
 */
export function clearForward(buffer: ArrayBufferLike, layout: RecurrentLayout, dims: RecurrentDims): void {
  const { batch, time, paddedInput, input, paddedHidden, byToken, distinct } = dims;
  zero(buffer, layout.w, layout.x);
  const [inputs, rows, paddedRows] = byToken ? [layout.xDistinct, distinct, dims.paddedDistinct] : [layout.x, batch * time, dims.paddedBatch * time];
  zero(buffer, input === paddedInput ? inputs + 4 * rows * paddedInput : inputs, inputs + 4 * paddedRows * paddedInput);
  const hPrev: readonly (readonly [number, number])[] = dims.taped ? [[layout.hPrev, paddedHidden]] : [];
  clearSpans(buffer, unvisitedSpans(buffer, layout, dims), [[layout.out, paddedHidden, layout.outStride], ...hPrev]);
}

/**
 * The same for the backward pass, before dL/d outputs are written: dz and d(h·U) where no step
 * writes them (the weight gradients run over every row of a step, and the inputs' gradient over
 * every position), dL/d outputs' padding, and every gradient slot but its dP (which the range
 * of rows it belongs to clears, on its own thread).
 */
export function clearBackward(buffer: ArrayBufferLike, layout: RecurrentLayout, dims: RecurrentDims): void {
  const { batch, time, gates, hidden, paddedHidden, paddedBatch } = dims;
  const width = gates * paddedHidden;
  const dOutEnd = layout.dOut + 4 * paddedBatch * time * paddedHidden;
  zero(buffer, hidden === paddedHidden ? layout.dOut + 4 * batch * time * paddedHidden : layout.dOut, dOutEnd);
  const dRec: readonly (readonly [number, number])[] = layout.dRec === layout.dz ? [] : [[layout.dRec, width]];
  clearSpans(buffer, unvisitedSpans(buffer, layout, dims), [[layout.dz, width], ...dRec]);
  for (const slot of layout.gradients) {
    zero(buffer, slot.dW, slot.dW + 4 * dims.paddedInput * width);
    zero(buffer, slot.dU, slot.dU + 4 * paddedHidden * width);
    zero(buffer, slot.dBias, slot.dBias + 4 * width);
  }
}

/**
 * The batch's rows in at most `threads` ranges of whole row blocks, as even as the blocks allow
 * (fewer ranges when there are fewer blocks than threads).
 */
export function rowRanges({ batch, paddedBatch }: RecurrentDims, threads: number): RowRange[] {
  return blockRanges(batch, paddedBatch, threads);
}

/** The distinct inputs' rows, padding included (the projection runs over whole blocks), split like {@link rowRanges}. */
export function distinctRanges({ paddedDistinct }: RecurrentDims, threads: number): RowRange[] {
  return blockRanges(paddedDistinct, paddedDistinct, threads);
}

/**
 * Ranges of whole blocks, as even as blocks allow. The first range, which the calling thread
 * runs, takes the block left over: the same rows take a kernel thread longer (measured: ~15% on
 * an LSTM's forward pass), and the calling thread waits for it.
 */
function blockRanges(rows: number, paddedRows: number, threads: number): RowRange[] {
  const blocks = paddedRows / ROW_BLOCK;
  const count = Math.max(1, Math.min(threads, blocks));
  const firstBlock = (index: number): number => Math.ceil((index * blocks) / count);
  return Array.from({ length: count }, (_, index) => ({
    start: firstBlock(index) * ROW_BLOCK,
    end: Math.min(rows, firstBlock(index + 1) * ROW_BLOCK),
  }));
}

/** For each step in processing order: its time index and the range's rows with a real token there. */
interface ScheduledStep {
  readonly t: number;
  readonly rows: readonly number[];
}

function stepSchedule(buffer: ArrayBufferLike, layout: RecurrentLayout, { batch, time }: RecurrentDims, reverse: boolean, range: RowRange): ScheduledStep[] {
  const mask = new Float32Array(buffer, layout.mask, batch * time);
  const steps: ScheduledStep[] = [];
  for (let index = 0; index < time; index++) {
    const t = reverse ? time - 1 - index : index;
    const rows: number[] = [];
    for (let row = range.start; row < range.end; row++) if (mask[row * time + t] > 0) rows.push(row);
    if (rows.length > 0) steps.push({ t, rows });
  }
  return steps;
}

/** Byte address of position (row, t) in a [B, T, width] array at `base`. */
const at = (base: number, row: number, t: number, time: number, width: number): number => base + 4 * (row * time + t) * width;

/** P = X_distinct·W + b over a range of the distinct rows (whole row blocks), before any step reads it. */
export function projectRows(kernels: RecurrentKernels, buffer: ArrayBufferLike, layout: RecurrentLayout, { gates, paddedInput, paddedHidden }: RecurrentDims, { start, end }: RowRange): void {
  const width = gates * paddedHidden;
  const bias = new Float32Array(buffer, layout.biasRows, width);
  const projected = new Float32Array(buffer, layout.projected + 4 * start * width, (end - start) * width);
  for (let row = 0; row < end - start; row++) projected.set(bias, row * width);
  kernels.inputMatmul(layout.xDistinct + 4 * start * paddedInput, 4 * paddedInput, layout.w, layout.projected + 4 * start * width, 4 * width, end - start, 1);
}

/** Each position's row of the distinct inputs, or nothing when the inputs are per position. */
const tokenRowsOf = (buffer: ArrayBufferLike, layout: RecurrentLayout, { byToken, batch, time }: RecurrentDims): Int32Array | undefined =>
  byToken ? new Int32Array(buffer, layout.tokenRows, batch * time) : undefined;

/** The forward pass over the range's rows: states, outputs and, when taped, what the backward pass needs. */
export function forwardRows(kernels: RecurrentKernels, buffer: ArrayBufferLike, layout: RecurrentLayout, dims: RecurrentDims, reverse: boolean, range: RowRange): void {
  const { time, gates, paddedInput, paddedHidden } = dims;
  const width = gates * paddedHidden;
  const { start } = range;
  const blockRows = roundUp(range.end, ROW_BLOCK) - start;
  const z = new Float32Array(buffer, layout.z + 4 * start * width, blockRows * width);
  const biasRows = new Float32Array(buffer, layout.biasRows + 4 * start * width, blockRows * width);
  const zRows = layout.z + 4 * start * width;
  const recRows = layout.rec + 4 * start * width;
  const hRows = layout.h + 4 * start * paddedHidden;
  const tokenRows = tokenRowsOf(buffer, layout, dims);
  // A row's x_t·W + b: its token's row of P, or the step's z computed for the range's rows.
  const zOf = (row: number, t: number): number => (tokenRows ? layout.projected + 4 * tokenRows[row * time + t] * width : layout.z + 4 * row * width);
  const rowKernel = dims.taped ? kernels.forwardRow : kernels.inferenceRow;
  const schedule = stepSchedule(buffer, layout, dims, reverse, range);
  for (const [index, { t, rows }] of schedule.entries()) {
    // The row's z at its next step, which the row kernel loads into cache ahead of that step.
    const next = schedule[index + 1]?.t;
    const nextZ = (row: number): number => (tokenRows && next !== undefined ? zOf(row, next) : zOf(row, t));
    if (!tokenRows) {
      z.set(biasRows);
      kernels.inputMatmul(at(layout.x, start, t, time, paddedInput), 4 * time * paddedInput, layout.w, zRows, 4 * width, blockRows, 1);
    }
    kernels.forwardMatmul(hRows, 4 * paddedHidden, layout.u, recRows, 4 * width, blockRows, 0);
    for (const row of rows) {
      rowKernel(
        zOf(row, t),
        layout.rec + 4 * row * width,
        at(layout.act, row, t, time, width),
        layout.h + 4 * row * paddedHidden,
        at(layout.hPrev, row, t, time, paddedHidden),
        at(layout.out, row, t, time, layout.outStride),
        layout.c + 4 * row * paddedHidden,
        at(layout.savedA, row, t, time, paddedHidden),
        at(layout.savedB, row, t, time, paddedHidden),
        nextZ(row),
      );
    }
  }
}

/** Backpropagation through time over the range's rows, its weight gradients into `slot`. */
export function backwardRows(kernels: RecurrentKernels, buffer: ArrayBufferLike, layout: RecurrentLayout, dims: RecurrentDims, reverse: boolean, range: RowRange, slot: GradientSlot): void {
  const { time, gates, paddedInput, paddedHidden } = dims;
  const width = gates * paddedHidden;
  const { start } = range;
  const blockRows = roundUp(range.end, ROW_BLOCK) - start;
  const rowCount = range.end - start;
  const tokenRows = tokenRowsOf(buffer, layout, dims);
  zero(buffer, slot.dP, slot.dP + 4 * dims.distinct * width);
  const schedule = stepSchedule(buffer, layout, dims, reverse, range);
  for (let index = schedule.length - 1; index >= 0; index--) {
    const { t, rows } = schedule[index];
    for (const row of rows) {
      kernels.backwardRow(
        at(layout.act, row, t, time, width),
        at(layout.hPrev, row, t, time, paddedHidden),
        at(layout.dOut, row, t, time, paddedHidden),
        layout.dh + 4 * row * paddedHidden,
        at(layout.dz, row, t, time, width),
        at(layout.dRec, row, t, time, width),
        layout.dc + 4 * row * paddedHidden,
        at(layout.savedA, row, t, time, paddedHidden),
        at(layout.savedB, row, t, time, paddedHidden),
      );
      // dP[token] += dz: a column sum over one row.
      if (tokenRows) kernels.columnSums(at(layout.dz, row, t, time, width), 0, slot.dP + 4 * tokenRows[row * time + t] * width, 1);
    }
    // Rows padded at this step have dz = d(h·U) = 0 and h_{t−1} = 0 there, so running over
    // every row of the range carries their dh and adds nothing to the weights' gradients.
    const positionStride = 4 * time * width;
    kernels.backwardMatmul(at(layout.dRec, start, t, time, width), positionStride, layout.uTransposed, layout.dh + 4 * start * paddedHidden, 4 * paddedHidden, blockRows, 1);
    kernels.recurrentGradientMatmul(at(layout.hPrev, start, t, time, paddedHidden), 4 * time * paddedHidden, at(layout.dRec, start, t, time, width), positionStride, slot.dU, rowCount);
    if (!tokenRows) inputGradients(kernels, at(layout.x, start, t, time, paddedInput), 4 * time * paddedInput, at(layout.dz, start, t, time, width), positionStride, slot, rowCount);
  }
}

/**
 * With distinct inputs, after the backward rows: over a range of the distinct rows, sums every
 * slot's dP into the first's, then adds X_distinctᵀ·dP and dP's column sums into `slot`'s W and
 * b gradients.
 */
export function distinctGradientRows(kernels: RecurrentKernels, buffer: ArrayBufferLike, layout: RecurrentLayout, { distinct, gates, paddedInput, paddedHidden }: RecurrentDims, { start, end }: RowRange, slot: GradientSlot): void {
  const width = gates * paddedHidden;
  const rows = Math.min(end, distinct) - start;
  if (rows <= 0) return;
  const [first, ...others] = layout.gradients;
  const sum = new Float32Array(buffer, first.dP + 4 * start * width, rows * width);
  for (const other of others) {
    const part = new Float32Array(buffer, other.dP + 4 * start * width, rows * width);
    for (let i = 0; i < sum.length; i++) sum[i] += part[i];
  }
  // The matmul streams its rows once per block of W's gradient: chunks of them stay in cache.
  for (let chunk = start; chunk < start + rows; chunk += GRADIENT_CHUNK_ROWS) {
    const count = Math.min(GRADIENT_CHUNK_ROWS, start + rows - chunk);
    inputGradients(kernels, layout.xDistinct + 4 * chunk * paddedInput, 4 * paddedInput, first.dP + 4 * chunk * width, 4 * width, slot, count);
  }
}

/** Distinct rows per call of W's gradient: their dP (~1 kB each at hidden 64) and x fit in L2 with the gradient. */
const GRADIENT_CHUNK_ROWS = 128;

/** dW += Σ_p x[p]ᵀ dz[p] and dBias += Σ_p dz[p] over `count` rows: a step's positions, or the distinct inputs with dP. */
function inputGradients(kernels: RecurrentKernels, x: number, xStride: number, dz: number, dzStride: number, slot: GradientSlot, count: number): void {
  kernels.inputGradientMatmul(x, xStride, dz, dzStride, slot.dW, count);
  kernels.columnSums(dz, dzStride, slot.dBias, count);
}

/** Adds every slot's gradients after the first into the first, in slot order. */
export function reduceGradients(buffer: ArrayBufferLike, layout: RecurrentLayout, { gates, paddedInput, paddedHidden }: RecurrentDims): void {
  const width = gates * paddedHidden;
  const [target, ...others] = layout.gradients;
  const sizes = { dW: paddedInput * width, dU: paddedHidden * width, dBias: width };
  for (const name of ['dW', 'dU', 'dBias'] as const) {
    const sum = new Float32Array(buffer, target[name], sizes[name]);
    for (const slot of others) {
      const part = new Float32Array(buffer, slot[name], sizes[name]);
      for (let i = 0; i < sum.length; i++) sum[i] += part[i];
    }
  }
}
