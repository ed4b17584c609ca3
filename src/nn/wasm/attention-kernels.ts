/**
 * WebAssembly SIMD kernels of the attention ops' row loops over token representations
 * [batch, time, dim]: Σ_t w·v, v·u per position, and w·u per position. In plain JS each takes
 * ~5–15 ms over a [64, 230, 100] batch; here four lanes at a time, a few times faster copies
 * included. The representations are copied into the kernels' memory once: the last two copied
 * stay there, keyed by the tensor they are the values of, because the forward and backward
 * passes of a step read the same token representations several times (values of tensors never
 * change). An arena may also hold a frozen embedding table: its lookups are gathered straight
 * into a slot, where the attention kernels then read them without any copy.
 */
import { encodeModule, f32, f32x4, forRange, FunctionWriter, get, i32, set, v128, type Code, type Local, type SimdPath } from './emitter.js';
import { exp, type ExpScratch } from './simd-math.js';
import { gatherFunction, gatherVectorsFunction } from './gather-kernel.js';
import { sameFloats, type RowMatrix } from '../projected-pools.js';
import { compiledKernel, createMemory, instantiate, type WasmMemory, type WasmModule } from './runtime.js';

export interface AttentionExports {
  /** out[b, :] = Σ_t w[b, t]·v[b, t, :]. `dimBytes` is 4·dim, dim a multiple of 4. */
  weightedRows(w: number, v: number, out: number, batch: number, time: number, dimBytes: number): void;
  /** out[b, t] = v[b, t, :]·u[b, :]; `uStride` 0 for one u shared by all rows, else `dimBytes`. */
  rowDots(v: number, u: number, out: number, batch: number, time: number, dimBytes: number, uStride: number): void;
  /** out[b, t, :] = w[b, t]·u[b, :]; `uStride` as in rowDots. */
  outerRows(w: number, u: number, out: number, batch: number, time: number, dimBytes: number, uStride: number): void;
  /** out[b, t, :] += w[b, t]·u[b, :], as {@link outerRows}. */
  outerRowsAdd(w: number, u: number, out: number, batch: number, time: number, dimBytes: number, uStride: number): void;
  /**
   * The backward of pooled[b] = Σ_t p[b, t]·v[b, t] with p = softmax(scores[b]) and dp the
   * gradient reaching p directly: e[b, t] = p·(v[b, t]·dy[b] + dp[b, t]) and
   * dq[b] = Σ_t e·v[b, t] − (Σ_t e)·pooled[b], in one pass over v.
   */
  attentionBackward(p: number, dp: number, v: number, dy: number, pooled: number, e: number, dq: number, batch: number, time: number, dimBytes: number): void;
  /** out[r, :] = softmax of scores[r, :] over the positions where mask > 0, 0 elsewhere; a row without any stays 0. */
  maskedSoftmax(scores: number, mask: number, out: number, rows: number, time: number): void;
  /** As `attentionBackward`, v[b, t] being row slots[b, t] of the matrix at `v`: the same sums in the same order. */
  slotAttentionBackward(p: number, dp: number, v: number, slots: number, dy: number, pooled: number, e: number, dq: number, rows: number, time: number, dimBytes: number): void;
  /** out[r, :] = Σ_t w[r, t]·v[slots[r, t], :]: the rows of v each position's slot names. */
  weightedSlotRows(w: number, v: number, slots: number, out: number, rows: number, time: number, dimBytes: number): void;
  /** out[r, t] = v[slots[r, t], :]·u[r, :]. */
  slotRowDots(v: number, slots: number, u: number, out: number, rows: number, time: number, dimBytes: number): void;
  /** out[slots[r, t], :] += w[r, t]·u[r, :], out zeroed beforehand. */
  scatterSlotRows(w: number, u: number, slots: number, out: number, rows: number, time: number, dimBytes: number): void;
  /** out[p, :] = table[ids[p], :] for p < count; rows of `rowBytes` bytes. */
  gather(ids: number, table: number, out: number, count: number, rowBytes: number): void;
  /** As `gather`, for `rowBytes` a multiple of 16. */
  gatherVectors(ids: number, table: number, out: number, count: number, rowBytes: number): void;
}

const I32 = (count: number) => Array.from({ length: count }, () => 'i32' as const);

function weightedRowsFunction() {
  const writer = new FunctionWriter('weightedRows', I32(6));
  const [w, v, out, batch, time, dimBytes] = writer.params;
  const [b, t, k, outRow] = Array.from({ length: 4 }, () => writer.local('i32'));
  const weight = writer.local('v128');
  const outAt = i32.add(get(outRow), get(k));
  const body = forRange(b, i32.const(0), get(batch), 1, [
    ...set(outRow, i32.add(get(out), i32.mul(get(b), get(dimBytes)))),
    ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(outAt, f32x4.constant(0))),
    ...forRange(t, i32.const(0), get(time), 1, [
      ...set(weight, f32x4.loadSplat(get(w))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(outAt, f32x4.madd(get(weight), f32x4.load(i32.add(get(v), get(k))), f32x4.load(outAt)))),
      ...set(w, i32.add(get(w), i32.const(4))),
      ...set(v, i32.add(get(v), get(dimBytes))),
    ]),
  ]);
  return { writer, body };
}

function rowDotsFunction() {
  const writer = new FunctionWriter('rowDots', I32(7));
  const [v, u, out, batch, time, dimBytes, uStride] = writer.params;
  const [b, t, k] = Array.from({ length: 3 }, () => writer.local('i32'));
  const sum = writer.local('v128');
  const lane = (index: number): Code => f32x4.extractLane(get(sum), index);
  const body = forRange(b, i32.const(0), get(batch), 1, [
    ...forRange(t, i32.const(0), get(time), 1, [
      ...set(sum, f32x4.constant(0)),
      ...forRange(k, i32.const(0), get(dimBytes), 16, set(sum, f32x4.madd(f32x4.load(i32.add(get(v), get(k))), f32x4.load(i32.add(get(u), get(k))), get(sum)))),
      ...f32.store(get(out), f32.add(f32.add(lane(0), lane(1)), f32.add(lane(2), lane(3)))),
      ...set(out, i32.add(get(out), i32.const(4))),
      ...set(v, i32.add(get(v), get(dimBytes))),
    ]),
    ...set(u, i32.add(get(u), get(uStride))),
  ]);
  return { writer, body };
}

/** `outerRows`, or with `add` `outerRowsAdd`, which adds to what `out` holds. */
function outerRowsFunction(add: boolean) {
  const writer = new FunctionWriter(add ? 'outerRowsAdd' : 'outerRows', I32(7));
  const [w, u, out, batch, time, dimBytes, uStride] = writer.params;
  const [b, t, k] = Array.from({ length: 3 }, () => writer.local('i32'));
  const weight = writer.local('v128');
  // Rounded product, then rounded sum (no fused multiply-add): what adding the terms' arrays gives.
  const product = (at: Code): Code => {
    const term = f32x4.mul(get(weight), f32x4.load(i32.add(get(u), get(k))));
    return add ? f32x4.add(f32x4.load(at), term) : term;
  };
  const body = forRange(b, i32.const(0), get(batch), 1, [
    ...forRange(t, i32.const(0), get(time), 1, [
      ...set(weight, f32x4.loadSplat(get(w))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(i32.add(get(out), get(k)), product(i32.add(get(out), get(k))))),
      ...set(w, i32.add(get(w), i32.const(4))),
      ...set(out, i32.add(get(out), get(dimBytes))),
    ]),
    ...set(u, i32.add(get(u), get(uStride))),
  ]);
  return { writer, body };
}

/**
 * Positions the weighted sums and dots of slot rows take at once: one pass over dim for four
 * rows, which loads and stores the output (or u) once for them, and whose loads of four rows
 * the processor overlaps. Each position's sum is still made in the order of the positions.
 */
const POSITIONS_AT_ONCE = 4;

/** A position of a slot loop: its row of the matrix (an address) and its byte offset in [rows, time]. */
interface SlotPosition {
  readonly row: Code;
  readonly position: Code;
}

/**
 * The slot kernels read or write, at each position (r, t) of [rows, time], row slots[r, t] of a
 * [distinct, dim] matrix: the position's token among the batch's distinct tokens. `perPositions`
 * takes `atOnce` consecutive positions of a row, then single ones for the rest of it.
 */
function slotLoops(
  writer: FunctionWriter, matrix: Local, slots: Local, rows: Local, time: Local, dimBytes: Local, atOnce: number,
  perRow: (r: Local) => Code, perPositions: (positions: readonly SlotPosition[]) => Code, afterRow: (r: Local) => Code = () => [],
): Code {
  const [r, t, position, groupedEnd] = Array.from({ length: 4 }, () => writer.local('i32'));
  const rowsAt = Array.from({ length: atOnce }, () => writer.local('i32'));
  const positions = (count: number): Code => {
    const group = rowsAt.slice(0, count).map((row, index) => ({ row, position: i32.add(get(position), i32.const(4 * index)) }));
    return [
      ...set(position, i32.mul(i32.add(i32.mul(get(r), get(time)), get(t)), i32.const(4))),
      ...group.flatMap(({ row, position: at }) => set(row, i32.add(get(matrix), i32.mul(i32.load(i32.add(get(slots), at)), get(dimBytes))))),
      ...perPositions(group.map(({ row, position: at }) => ({ row: get(row), position: at }))),
    ];
  };
  return forRange(r, i32.const(0), get(rows), 1, [
    ...perRow(r),
    ...set(groupedEnd, i32.and(get(time), i32.const(-atOnce))),
    ...forRange(t, i32.const(0), get(groupedEnd), atOnce, positions(atOnce)),
    ...(atOnce > 1 ? forRange(t, get(groupedEnd), get(time), 1, positions(1)) : []),
    ...afterRow(r),
  ]);
}

function weightedSlotRowsFunction() {
  const writer = new FunctionWriter('weightedSlotRows', I32(7));
  const [w, v, slots, out, rows, time, dimBytes] = writer.params;
  const [k, outRow] = [writer.local('i32'), writer.local('i32')];
  const weights = Array.from({ length: POSITIONS_AT_ONCE }, () => writer.local('v128'));
  const outAt = i32.add(get(outRow), get(k));
  const body = slotLoops(
    writer, v, slots, rows, time, dimBytes, POSITIONS_AT_ONCE,
    (r) => [...set(outRow, i32.add(get(out), i32.mul(get(r), get(dimBytes)))), ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(outAt, f32x4.constant(0)))],
    (positions) => [
      ...positions.flatMap(({ position }, index) => set(weights[index], f32x4.loadSplat(i32.add(get(w), position)))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(outAt, positions.reduce((sum, { row }, index) => f32x4.madd(get(weights[index]), f32x4.load(i32.add(row, get(k))), sum), f32x4.load(outAt)))),
    ],
  );
  return { writer, body };
}

function slotRowDotsFunction() {
  const writer = new FunctionWriter('slotRowDots', I32(7));
  const [v, slots, u, out, rows, time, dimBytes] = writer.params;
  const [k, uRow] = [writer.local('i32'), writer.local('i32')];
  const uPart = writer.local('v128');
  const sums = Array.from({ length: POSITIONS_AT_ONCE }, () => writer.local('v128'));
  const lane = (sum: Local, index: number): Code => f32x4.extractLane(get(sum), index);
  const body = slotLoops(
    writer, v, slots, rows, time, dimBytes, POSITIONS_AT_ONCE,
    (r) => set(uRow, i32.add(get(u), i32.mul(get(r), get(dimBytes)))),
    (positions) => [
      ...positions.flatMap((_, index) => set(sums[index], f32x4.constant(0))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, [
        ...set(uPart, f32x4.load(i32.add(get(uRow), get(k)))),
        ...positions.flatMap(({ row }, index) => set(sums[index], f32x4.madd(f32x4.load(i32.add(row, get(k))), get(uPart), get(sums[index])))),
      ]),
      ...positions.flatMap(({ position }, index) => f32.store(i32.add(get(out), position), f32.add(f32.add(lane(sums[index], 0), lane(sums[index], 1)), f32.add(lane(sums[index], 2), lane(sums[index], 3))))),
    ],
  );
  return { writer, body };
}

function scatterSlotRowsFunction() {
  const writer = new FunctionWriter('scatterSlotRows', I32(7));
  const [w, u, slots, out, rows, time, dimBytes] = writer.params;
  const [k, uRow] = [writer.local('i32'), writer.local('i32')];
  const weight = writer.local('v128');
  const body = slotLoops(
    writer, out, slots, rows, time, dimBytes, 1,
    (r) => set(uRow, i32.add(get(u), i32.mul(get(r), get(dimBytes)))),
    ([{ row, position }]) => {
      const targetAt = i32.add(row, get(k));
      return [
        ...set(weight, f32x4.loadSplat(i32.add(get(w), position))),
        ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(targetAt, f32x4.madd(get(weight), f32x4.load(i32.add(get(uRow), get(k))), f32x4.load(targetAt)))),
      ];
    },
  );
  return { writer, body };
}

/** Sum of the four lanes of `vector`, in every lane. */
const laneSum = (vector: Code): Code => {
  const lane = (index: number): Code => f32x4.extractLane(vector, index);
  return f32x4.splat(f32.add(f32.add(lane(0), lane(1)), f32.add(lane(2), lane(3))));
};

function attentionBackwardFunction() {
  const writer = new FunctionWriter('attentionBackward', I32(10));
  const [p, dp, v, dy, pooled, e, dq, batch, time, dimBytes] = writer.params;
  const [b, t, k, dqRow] = Array.from({ length: 4 }, () => writer.local('i32'));
  const [dot, coefficient, total] = Array.from({ length: 3 }, () => writer.local('v128'));
  const dqAt = i32.add(get(dqRow), get(k));
  const body = forRange(b, i32.const(0), get(batch), 1, [
    ...set(dqRow, i32.add(get(dq), i32.mul(get(b), get(dimBytes)))),
    ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(dqAt, f32x4.constant(0))),
    ...set(total, f32x4.constant(0)),
    ...forRange(t, i32.const(0), get(time), 1, [
      ...set(dot, f32x4.constant(0)),
      ...forRange(k, i32.const(0), get(dimBytes), 16, set(dot, f32x4.madd(f32x4.load(i32.add(get(v), get(k))), f32x4.load(i32.add(get(dy), get(k))), get(dot)))),
      ...set(coefficient, f32x4.mul(f32x4.loadSplat(get(p)), f32x4.add(laneSum(get(dot)), f32x4.loadSplat(get(dp))))),
      ...f32.store(get(e), f32x4.extractLane(get(coefficient), 0)),
      ...set(total, f32x4.add(get(total), get(coefficient))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(dqAt, f32x4.madd(get(coefficient), f32x4.load(i32.add(get(v), get(k))), f32x4.load(dqAt)))),
      ...set(p, i32.add(get(p), i32.const(4))),
      ...set(dp, i32.add(get(dp), i32.const(4))),
      ...set(e, i32.add(get(e), i32.const(4))),
      ...set(v, i32.add(get(v), get(dimBytes))),
    ]),
    ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(dqAt, f32x4.sub(f32x4.load(dqAt), f32x4.mul(get(total), f32x4.load(i32.add(get(pooled), get(k))))))),
    ...set(dy, i32.add(get(dy), get(dimBytes))),
    ...set(pooled, i32.add(get(pooled), get(dimBytes))),
  ]);
  return { writer, body };
}

/**
 * The masked softmax, row by row in three passes (max, e^(s − max) and their sum, division), four
 * positions at a time and the row's last `time mod 4` one by one; e^x as the activation kernels
 * compute it (~1 ulp), which spares the ~16 ns per position of Math.exp. Each position's result
 * depends on its row's real positions only, not on the padding after them.
 */
function maskedSoftmaxFunction() {
  const writer = new FunctionWriter('maskedSoftmax', I32(5));
  const [scores, mask, out, rows, time] = writer.params;
  const [r, t, rowAt, groupedEnd] = Array.from({ length: 4 }, () => writer.local('i32'));
  const [highest, sum, e] = Array.from({ length: 3 }, () => writer.local('v128'));
  const total = writer.local('f32');
  const scratch: ExpScratch = { x: writer.local('v128'), k: writer.local('v128') };
  const at = (base: Local): Code => i32.add(get(base), i32.add(get(rowAt), i32.mul(get(t), i32.const(4))));
  const real = (load: (address: Code) => Code): Code => f32x4.gt(load(at(mask)), f32x4.constant(0));
  const lanes = (vector: Local): Code[] => [0, 1, 2, 3].map((lane) => f32x4.splat(f32x4.extractLane(get(vector), lane)));
  /** A pass over the row: `group` on four positions (vector loads), `single` on one (splat loads). */
  const pass = (step: (load: (address: Code) => Code, store: (address: Code, value: Code) => Code, single: boolean) => Code): Code => [
    ...forRange(t, i32.const(0), get(groupedEnd), 4, step(f32x4.load, f32x4.store, false)),
    ...forRange(t, get(groupedEnd), get(time), 1, step(f32x4.loadSplat, (address, value) => f32.store(address, f32x4.extractLane(value, 0)), true)),
  ];
  const body = forRange(r, i32.const(0), get(rows), 1, [
    ...set(rowAt, i32.mul(i32.mul(get(r), get(time)), i32.const(4))),
    ...set(groupedEnd, i32.and(get(time), i32.const(-4))),
    ...set(highest, f32x4.constant(-Infinity)),
    ...pass((load) => set(highest, f32x4.pmax(get(highest), v128.bitselect(load(at(scores)), f32x4.constant(-Infinity), real(load))))),
    ...set(highest, (([a, b, c, d]) => f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(c, d)))(lanes(highest))),
    ...set(total, f32.const(0)),
    ...pass((load, store, single) => [
      ...exp(e, f32x4.sub(load(at(scores)), get(highest)), scratch),
      ...set(e, v128.and(get(e), real(load))),
      ...store(at(out), get(e)),
      // Summed position after position, padding adding 0: the same sum however long the batch's rows are.
      ...(single ? [0] : [0, 1, 2, 3]).flatMap((lane) => set(total, f32.add(get(total), f32x4.extractLane(get(e), lane)))),
    ]),
    ...set(sum, f32x4.splat(get(total))),
    ...pass((load, store) => store(at(out), v128.bitselect(f32x4.div(load(at(out)), get(sum)), f32x4.constant(0), f32x4.gt(get(sum), f32x4.constant(0))))),
  ]);
  return { writer, body };
}

/**
 * attentionBackward over slot rows (see {@link slotLoops}): the dots of four positions share one
 * pass over dim, then their terms reach e, Σ e and dq in the order of the positions, as there.
 */
function slotAttentionBackwardFunction() {
  const writer = new FunctionWriter('slotAttentionBackward', I32(11));
  const [p, dp, v, slots, dy, pooled, e, dq, rows, time, dimBytes] = writer.params;
  const [k, rowOffset] = [writer.local('i32'), writer.local('i32')];
  const [dyPart, total] = [writer.local('v128'), writer.local('v128')];
  const dots = Array.from({ length: POSITIONS_AT_ONCE }, () => writer.local('v128'));
  const coefficients = Array.from({ length: POSITIONS_AT_ONCE }, () => writer.local('v128'));
  const dqAt = i32.add(i32.add(get(dq), get(rowOffset)), get(k));
  const body = slotLoops(
    writer, v, slots, rows, time, dimBytes, POSITIONS_AT_ONCE,
    (r) => [
      ...set(rowOffset, i32.mul(get(r), get(dimBytes))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(dqAt, f32x4.constant(0))),
      ...set(total, f32x4.constant(0)),
    ],
    (positions) => [
      ...positions.flatMap((_, index) => set(dots[index], f32x4.constant(0))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, [
        ...set(dyPart, f32x4.load(i32.add(i32.add(get(dy), get(rowOffset)), get(k)))),
        ...positions.flatMap(({ row }, index) => set(dots[index], f32x4.madd(f32x4.load(i32.add(row, get(k))), get(dyPart), get(dots[index])))),
      ]),
      ...positions.flatMap(({ position }, index) => [
        ...set(coefficients[index], f32x4.mul(f32x4.loadSplat(i32.add(get(p), position)), f32x4.add(laneSum(get(dots[index])), f32x4.loadSplat(i32.add(get(dp), position))))),
        ...f32.store(i32.add(get(e), position), f32x4.extractLane(get(coefficients[index]), 0)),
        ...set(total, f32x4.add(get(total), get(coefficients[index]))),
      ]),
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(dqAt, positions.reduce((sum, { row }, index) => f32x4.madd(get(coefficients[index]), f32x4.load(i32.add(row, get(k))), sum), f32x4.load(dqAt)))),
    ],
    () => forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(dqAt, f32x4.sub(f32x4.load(dqAt), f32x4.mul(get(total), f32x4.load(i32.add(i32.add(get(pooled), get(rowOffset)), get(k))))))),
  );
  return { writer, body };
}

export const attentionModuleBytes = (): Uint8Array<ArrayBuffer> =>
  encodeModule([weightedRowsFunction(), rowDotsFunction(), outerRowsFunction(false), outerRowsFunction(true), attentionBackwardFunction(), gatherFunction(), gatherVectorsFunction(), weightedSlotRowsFunction(), slotRowDotsFunction(), scatterSlotRowsFunction(), slotAttentionBackwardFunction(), maskedSoftmaxFunction()]);

/** The compiled attention module (`path`: the process's unless given). */
export const attentionModule = (path?: SimdPath): WasmModule => compiledKernel('attention', attentionModuleBytes, path);

const PAGE = 65_536;
const SLOTS = 2;

/** Token representations [batch, time, dim] for a kernel: the object they are the values of, and how to read them. */
export interface Representations {
  /** Identifies the values (a tensor, or the array itself): a slot holding this key holds them. */
  readonly key: object;
  values(): Float32Array;
}

/** Where an arena's table starts. */
const TABLE_AT = 0;

const aligned = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** The arena whose slot holds each key's values, so that a call reads them where they are. */
const residence = new WeakMap<object, KernelArena>();

/** Keys whose values are rows of an arena's table (see {@link KernelArena.lookUp}). */
const lookups = new WeakMap<object, { readonly arena: KernelArena; readonly ids: Int32Array }>();

/**
 * The kernels' memory: an optional frozen table, {@link SLOTS} slots of `slotBytes` for cached
 * token representations, then a scratch area reused by every call for the small inputs and the
 * outputs.
 */
export class KernelArena implements RowMatrix {
  private readonly memory: WasmMemory;
  readonly kernels: AttentionExports;
  private readonly slotsAt: number;
  private slotBytes = 0;
  private readonly cached: (object | undefined)[] = Array.from({ length: SLOTS }, () => undefined);
  private lastUsed = 0;
  private scratchEnd: number | undefined;
  /** Every table row's dot with the query {@link tableRowDots} was asked for twice in a row. */
  private readonly queryDots = new KeptForRepeatedInput();
  /** The table times the kernel {@link projected} was last asked for. */
  private projection: { readonly kernel: Float32Array; readonly values: Float32Array } | undefined;

  /** `table`: a frozen embedding table [size, dim], copied in once, which {@link lookUp} takes rows of. */
  constructor(private readonly table?: { readonly values: Float32Array; readonly dim: number }) {
    this.slotsAt = aligned(4 * (table?.values.length ?? 0));
    this.memory = createMemory(Math.max(PAGE, this.slotsAt));
    this.kernels = instantiate<AttentionExports>(attentionModule(), this.memory);
    if (table !== undefined) new Float32Array(this.memory.buffer, 0, table.values.length).set(table.values);
  }

  /** Starts a call: its scratch allocations will follow the slots. */
  beginCall(): this {
    this.scratchEnd = undefined;
    return this;
  }

  /** Byte address of the representations in a slot, copying them there unless they already are. */
  representations(rows: Representations): number {
    const found = this.cached.indexOf(rows.key);
    if (found >= 0) {
      this.lastUsed = found;
      return this.slotAt(found);
    }
    const lookup = lookups.get(rows.key);
    if (lookup?.arena === this) return this.slotAt(this.gather(lookup.ids, rows.key));
    const values = rows.values();
    const slot = this.claimSlot(values.byteLength, rows.key);
    new Float32Array(this.memory.buffer, this.slotAt(slot), values.length).set(values);
    return this.slotAt(slot);
  }

  /**
   * Records that `key`'s rows are the table's rows `ids`. A kernel that reads them gathers them
   * into a slot then; until then, and when none does (a recurrent layer reads the table's rows
   * itself), nothing is copied.
   */
  lookUp(ids: Int32Array, key: object): void {
    lookups.set(key, { arena: this, ids });
  }

  /**
   * The table's rows `key` is a lookup of, when no slot holds them gathered: a kernel that reads
   * them once can take them from the table itself, which spares the gather's copy.
   */
  uncopiedLookup(key: object): Int32Array | undefined {
    const lookup = lookups.get(key);
    return lookup?.arena === this && !this.cached.includes(key) ? lookup.ids : undefined;
  }

  /**
   * table[id]·query for every row of the table, kept until another query comes: scoring, where
   * the query is the same for every batch, computes each word's score once per pass (the
   * table's size in dots) instead of once per position it occurs at. Undefined for a query the
   * previous call did not have: computing them pays only when a query comes back.
   */
  tableRowDots(query: Float32Array): Float32Array | undefined {
    return this.queryDots.get(query, () => this.beginCall().dotsWithEveryRow(query));
  }

  /** The table times `kernel` [dim, units], [size, units] (see {@link RowMatrix}), kept until another kernel comes. */
  projected(kernel: Float32Array, units: number): Float32Array {
    if (this.projection !== undefined && sameFloats(this.projection.kernel, kernel)) return this.projection.values;
    const size = (this.table?.values.length ?? 0) / (kernel.length / units);
    const values = new Float32Array(size * units);
    for (let unit = 0; unit < units; unit++) {
      const column = kernel.filter((_, index) => index % units === unit);
      const dots = this.beginCall().dotsWithEveryRow(column);
      for (let row = 0; row < size; row++) values[row * units + unit] = dots[row];
    }
    this.projection = { kernel: kernel.slice(), values };
    return values;
  }

  private dotsWithEveryRow(query: Float32Array): Float32Array {
    const dim = query.length;
    const size = (this.table?.values.length ?? 0) / dim;
    const out = this.scratch(size);
    this.kernels.rowDots(TABLE_AT, this.scratch(dim, query), out, 1, size, 4 * dim, 0);
    return this.read(out, size);
  }

  /** Rows `ids` of the table gathered into a slot now held under `key`; the slot. */
  private gather(ids: Int32Array, key: object): number {
    const dim = this.table?.dim ?? 0;
    const slot = this.claimSlot(4 * ids.length * dim, key);
    const idsAt = this.scratchInts(ids);
    const gather = fitsKernels(dim) ? this.kernels.gatherVectors : this.kernels.gather;
    gather(idsAt, TABLE_AT, this.slotAt(slot), ids.length, 4 * dim);
    return slot;
  }

  /** A copy of the `floats` values of a lookup (see {@link lookUp}), gathered into a slot unless one holds them. Not during another call. */
  lookupValues(key: object, floats: number): Float32Array {
    const notLookedUp = (): Float32Array => {
      throw new Error('lookupValues of a key that lookUp did not record');
    };
    return this.beginCall().read(this.representations({ key, values: notLookedUp }), floats);
  }

  /**
   * Byte address of `floats` scratch floats, holding `values` when given. A call places its
   * representations first: larger slots would move the scratch area.
   */
  scratch(floats: number, values?: Float32Array): number {
    const address = this.scratchEnd ?? this.slotAt(SLOTS);
    this.scratchEnd = address + aligned(floats * 4);
    this.reserve(this.scratchEnd);
    if (values !== undefined) new Float32Array(this.memory.buffer, address, values.length).set(values);
    return address;
  }

  /** Byte address of scratch space holding `values`. */
  scratchInts(values: Int32Array): number {
    const address = this.scratch(values.length);
    new Int32Array(this.memory.buffer, address, values.length).set(values);
    return address;
  }

  /** Byte address of `floats` scratch floats, all 0. */
  scratchZeros(floats: number): number {
    const address = this.scratch(floats);
    new Float32Array(this.memory.buffer, address, floats).fill(0);
    return address;
  }

  read(address: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, floats).slice();
  }

  /** `into.length` floats at `address`, copied into `into`. */
  readInto(address: number, into: Float32Array): Float32Array {
    into.set(new Float32Array(this.memory.buffer, address, into.length));
    return into;
  }

  private slotAt(slot: number): number {
    return this.slotsAt + slot * this.slotBytes;
  }

  /** The slot after the last used, now holding `key`; larger slots move every slot, and nothing cached survives. */
  private claimSlot(bytes: number, key: object): number {
    if (bytes > this.slotBytes) {
      this.slotBytes = aligned(bytes * 1.25);
      this.cached.forEach((_, slot) => this.holdIn(slot, undefined));
    }
    const slot = (this.lastUsed + 1) % SLOTS;
    this.reserve(this.slotAt(SLOTS));
    this.holdIn(slot, key);
    return slot;
  }

  private holdIn(slot: number, key: object | undefined): void {
    const previous = this.cached[slot];
    if (previous !== undefined && residence.get(previous) === this) residence.delete(previous);
    this.cached[slot] = key;
    this.lastUsed = slot;
    if (key !== undefined) residence.set(key, this);
  }

  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
  }
}

let shared: KernelArena | undefined;

/** The arena holding `rows` or the table they are rows of, else the arena of the values no table's lookup gave. */
function arenaFor(rows: Representations): KernelArena {
  const holding = residence.get(rows.key) ?? lookups.get(rows.key)?.arena;
  if (holding !== undefined) return holding.beginCall();
  shared ??= new KernelArena();
  return shared.beginCall();
}

/** Whether the kernels take rows of `dim` floats (whole SIMD vectors). */
export const fitsKernels = (dim: number): boolean => dim % 4 === 0;

/** out[b, :] = Σ_t w[b, t]·v[b, t, :]: w [batch, time], v [batch, time, dim] → [batch, dim]. */
export function weightedRowSums(w: Float32Array, v: Representations, batch: number, time: number, dim: number): Float32Array {
  const memory = arenaFor(v);
  const ids = memory.uncopiedLookup(v.key);
  if (ids !== undefined) return weightedSlotRowsIn(memory, w, TABLE_AT, ids, batch, time, dim);
  const vAt = memory.representations(v);
  const wAt = memory.scratch(batch * time, w);
  const out = memory.scratch(batch * dim);
  memory.kernels.weightedRows(wAt, vAt, out, batch, time, 4 * dim);
  return memory.read(out, batch * dim);
}

/** out[b, t] = v[b, t, :]·u: u [batch, dim], or [dim] shared by every row. */
export function rowDots(v: Representations, u: Float32Array, batch: number, time: number, dim: number): Float32Array {
  const memory = arenaFor(v);
  const ids = memory.uncopiedLookup(v.key);
  if (ids !== undefined) return slotRowDotsIn(memory, TABLE_AT, ids, u.length === dim ? repeatRows(u, batch) : u, batch, time, dim);
  const vAt = memory.representations(v);
  const uAt = memory.scratch(u.length, u);
  const out = memory.scratch(batch * time);
  memory.kernels.rowDots(vAt, uAt, out, batch, time, 4 * dim, u.length === dim ? 0 : 4 * dim);
  return memory.read(out, batch * time);
}

/**
 * out[b, t] = v[b, t, :]·query, as {@link rowDots} with a shared query, for a query that stays
 * the same over many calls: rows that are a frozen table's take their word's dot, computed once
 * per query for the whole table (the same sums, so the same floats).
 */
export function unchangingQueryDots(v: Representations, query: Float32Array, batch: number, time: number, dim: number): Float32Array {
  const memory = arenaFor(v);
  const ids = memory.uncopiedLookup(v.key);
  const dots = ids === undefined ? undefined : memory.tableRowDots(query);
  if (ids === undefined || dots === undefined) return rowDots(v, query, batch, time, dim);
  const out = new Float32Array(batch * time);
  for (let position = 0; position < out.length; position++) out[position] = dots[ids[position]];
  return out;
}

/**
 * A value computed from an input (a query) only once the same input comes two calls in a row, and
 * kept until another comes: passes whose weights change at every batch (training steps) pay
 * nothing for it.
 */
class KeptForRepeatedInput {
  private last: { readonly input: Float32Array; value: Float32Array | undefined } | undefined;

  get(input: Float32Array, compute: () => Float32Array): Float32Array | undefined {
    const previous = this.last;
    if (previous === undefined || !sameFloats(previous.input, input)) {
      this.last = { input: input.slice(), value: undefined };
      return undefined;
    }
    previous.value ??= compute();
    return previous.value;
  }
}

/**
 * into[b, t, :] = Σ_k w_k[b, t]·u_k, each u_k [batch, dim] or [dim] shared by every row: the
 * products summed in the kernels' memory, which `into` [batch, time, dim] gets once.
 */
export function outerRowSums(terms: readonly (readonly [w: Float32Array, u: Float32Array])[], batch: number, time: number, dim: number, into: Float32Array): Float32Array {
  shared ??= new KernelArena();
  const memory = shared.beginCall();
  const out = memory.scratch(batch * time * dim);
  terms.forEach(([w, u], index) => {
    const [wAt, uAt] = [memory.scratch(batch * time, w), memory.scratch(u.length, u)];
    (index === 0 ? memory.kernels.outerRows : memory.kernels.outerRowsAdd)(wAt, uAt, out, batch, time, 4 * dim, u.length === dim ? 0 : 4 * dim);
  });
  return memory.readInto(out, into);
}

/** Row-wise softmax of `scores` [rows, time] over the positions where mask > 0, as {@link AttentionExports.maskedSoftmax}. */
export function maskedSoftmax(scores: Float32Array, mask: Float32Array, rows: number, time: number): Float32Array {
  shared ??= new KernelArena();
  const memory = shared.beginCall();
  const [scoresAt, maskAt] = [memory.scratch(scores.length, scores), memory.scratch(mask.length, mask)];
  const out = memory.scratch(rows * time);
  memory.kernels.maskedSoftmax(scoresAt, maskAt, out, rows, time);
  return memory.read(out, rows * time);
}

/** Gradients of an attention pool: e [batch, time] and dq [batch, dim], as {@link AttentionExports.attentionBackward}. */
export function attentionBackward(
  p: Float32Array, dp: Float32Array, v: Representations, dy: Float32Array, pooled: Float32Array, batch: number, time: number, dim: number,
): { readonly e: Float32Array; readonly dq: Float32Array } {
  const memory = arenaFor(v);
  // Rows of a frozen table that no kernel has gathered are read in the table, as the forward read them.
  const ids = memory.uncopiedLookup(v.key);
  const vAt = ids === undefined ? memory.representations(v) : TABLE_AT;
  const [pAt, dpAt, dyAt, pooledAt] = [p, dp, dy, pooled].map((values) => memory.scratch(values.length, values));
  const eAt = memory.scratch(batch * time);
  const dqAt = memory.scratch(batch * dim);
  if (ids === undefined) memory.kernels.attentionBackward(pAt, dpAt, vAt, dyAt, pooledAt, eAt, dqAt, batch, time, 4 * dim);
  else memory.kernels.slotAttentionBackward(pAt, dpAt, vAt, memory.scratchInts(ids), dyAt, pooledAt, eAt, dqAt, batch, time, 4 * dim);
  return { e: memory.read(eAt, batch * time), dq: memory.read(dqAt, batch * dim) };
}

/** out[r, :] = Σ_t w[r, t]·v[slots[r, t], :]: w [rows, time], v [distinct, dim] → [rows, dim]. */
export function weightedSlotRows(w: Float32Array, v: Representations, slots: Int32Array, rows: number, time: number, dim: number): Float32Array {
  const memory = arenaFor(v);
  return weightedSlotRowsIn(memory, w, memory.representations(v), slots, rows, time, dim);
}

function weightedSlotRowsIn(memory: KernelArena, w: Float32Array, vAt: number, slots: Int32Array, rows: number, time: number, dim: number): Float32Array {
  const [wAt, slotsAt] = [memory.scratch(w.length, w), memory.scratchInts(slots)];
  const out = memory.scratch(rows * dim);
  memory.kernels.weightedSlotRows(wAt, vAt, slotsAt, out, rows, time, 4 * dim);
  return memory.read(out, rows * dim);
}

/** out[r, t] = v[slots[r, t], :]·u[r, :]: u [rows, dim] → [rows, time]. */
export function slotRowDots(v: Representations, slots: Int32Array, u: Float32Array, rows: number, time: number, dim: number): Float32Array {
  const memory = arenaFor(v);
  return slotRowDotsIn(memory, memory.representations(v), slots, u, rows, time, dim);
}

function slotRowDotsIn(memory: KernelArena, vAt: number, slots: Int32Array, u: Float32Array, rows: number, time: number, dim: number): Float32Array {
  const [slotsAt, uAt] = [memory.scratchInts(slots), memory.scratch(u.length, u)];
  const out = memory.scratch(rows * time);
  memory.kernels.slotRowDots(vAt, slotsAt, uAt, out, rows, time, 4 * dim);
  return memory.read(out, rows * time);
}

/** `u` [dim] as `rows` rows [rows, dim]. */
function repeatRows(u: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows * u.length);
  for (let row = 0; row < rows; row++) out.set(u, row * u.length);
  return out;
}

/** out[u, :] = Σ_{(r, t): slots[r, t] = u} w[r, t]·dy[r, :] → [distinct, dim]. */
export function scatterSlotRows(w: Float32Array, dy: Float32Array, slots: Int32Array, distinct: number, rows: number, time: number, dim: number): Float32Array {
  shared ??= new KernelArena();
  const memory = shared.beginCall();
  const [wAt, dyAt, slotsAt] = [memory.scratch(w.length, w), memory.scratch(dy.length, dy), memory.scratchInts(slots)];
  const out = memory.scratchZeros(distinct * dim);
  memory.kernels.scatterSlotRows(wAt, dyAt, slotsAt, out, rows, time, 4 * dim);
  return memory.read(out, distinct * dim);
}
