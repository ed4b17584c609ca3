/**
 * WebAssembly SIMD kernels of the LSTM and GRU recurrences, generated for one padded hidden
 * size. The gates in plain JS cost ~100–200 ns per state element and a tfjs matmul per step
 * ~135 µs of launch and copies; here a step's h·U and its gates run on four lanes at a time
 * over one linear memory, without leaving WebAssembly between rows.
 *
 * Layout (floats, row-major): a gate row is `gates` blocks of `paddedHidden` lanes; every
 * pointer is a byte address in the instance's memory. The activations come from `simd-math.ts`.
 */
import { compiledKernel, type WasmModule } from './runtime.js';
import { drop, encodeModule, f32, f32x4, forRange, FunctionWriter, get, i32, ifElse, set, type Code, type Local, type SimdPath } from './emitter.js';
import { sigmoid, tanh, type ExpScratch } from './simd-math.js';

export type CellType = 'lstm' | 'gru';
export const GATES: Record<CellType, number> = { lstm: 4, gru: 3 };
/** SIMD lanes × the matmul's column block: the padded hidden size is a multiple of it. */
export const HIDDEN_ALIGNMENT = 8;
/** The matmul computes this many rows at once: the padded batch is a multiple of it. */
export const ROW_BLOCK = 4;

/** The functions a kernel instance exports; all arguments are byte addresses unless named. */
export interface RecurrentKernels {
  /** c[m, gates·hidden] (+)= a[m, hidden] · U; `lda`, `ldc` row strides in bytes, m a multiple of 4. */
  forwardMatmul(a: number, lda: number, u: number, c: number, ldc: number, m: number, accumulate: number): void;
  /** c[m, hidden] (+)= a[m, gates·hidden] · Uᵀ (given as a [gates·hidden, hidden] matrix). */
  backwardMatmul(a: number, lda: number, uTransposed: number, c: number, ldc: number, m: number, accumulate: number): void;
  /**
   * One row, one step: gates from z + rec, saved for backward; updates the state h (and the LSTM
   * cell c), writes hPrev and out. LSTM saves c_{t−1} in `savedA` and tanh(c_t) in `savedB`;
   * GRU saves h·U_n in `savedA` and has no c nor `savedB`. `nextZ` is the z row this row reads
   * at its next step: the kernel loads it into cache first (see {@link touchRow}).
   */
  forwardRow(z: number, rec: number, act: number, h: number, hPrev: number, out: number, c: number, savedA: number, savedB: number, nextZ: number): void;
  /**
   * `forwardRow` for a forward pass no backward pass follows: the same states and outputs,
   * without writing `act`, `hPrev`, `savedA` nor `savedB` (~1.8 kB per position at hidden 64).
   */
  inferenceRow(z: number, rec: number, act: number, h: number, hPrev: number, out: number, c: number, savedA: number, savedB: number, nextZ: number): void;
  /**
   * One row, one step backward: from dL/d out, the state's dh (and LSTM's dc), writes dz and
   * the d(h·U) row `dRec` (LSTM: the same as dz, so `dRec` is unused), then updates dh, dc.
   */
  backwardRow(act: number, hPrev: number, dOut: number, dh: number, dz: number, dRec: number, dc: number, savedA: number, savedB: number): void;
  /** c[m, gates·hidden] (+)= a[m, paddedInput] · W, the inputs' projection (`forwardMatmul`'s contract). */
  inputMatmul(a: number, lda: number, w: number, c: number, ldc: number, m: number, accumulate: number): void;
  /**
   * c[paddedInput, gates·hidden] += Σ_{p < inner} a[p]ᵀ b[p]: the input kernel's gradient from one
   * step, a[p] the p-th row's input (`aStride` bytes apart), b[p] its dz (`bStride` bytes apart).
   */
  inputGradientMatmul(a: number, aStride: number, b: number, bStride: number, c: number, inner: number): void;
  /** The same for the recurrent kernel: c[paddedHidden, gates·hidden] += Σ_p h_{t−1}[p]ᵀ d(h·U)[p]. */
  recurrentGradientMatmul(a: number, aStride: number, b: number, bStride: number, c: number, inner: number): void;
  /** c[gates·hidden] += Σ_{p < inner} b[p] (`bStride` bytes apart): the bias's gradient from one step. */
  columnSums(b: number, bStride: number, c: number, inner: number): void;
}

/**
 * The compiled module for `cell` at `paddedHidden` (a multiple of {@link HIDDEN_ALIGNMENT}) and
 * `paddedInput` (a multiple of {@link ROW_BLOCK}), on a shared memory with `sharedMemory`
 * (`path`: the process's unless given).
 */
export function recurrentModule(cell: CellType, paddedHidden: number, paddedInput: number, sharedMemory = false, path?: SimdPath): WasmModule {
  const key = `recurrent:${cell}:${paddedHidden}:${paddedInput}:${sharedMemory}`;
  return compiledKernel(key, () => recurrentModuleBytes(cell, paddedHidden, paddedInput, sharedMemory), path);
}

export function recurrentModuleBytes(cell: CellType, paddedHidden: number, paddedInput: number, sharedMemory = false): Uint8Array<ArrayBuffer> {
  const width = GATES[cell] * paddedHidden;
  return encodeModule([
    matmul('forwardMatmul', paddedHidden, width),
    matmul('backwardMatmul', width, paddedHidden),
    ...[true, false].map((saves) => (cell === 'lstm' ? lstmForwardRow(paddedHidden, saves) : gruForwardRow(paddedHidden, saves))),
    cell === 'lstm' ? lstmBackwardRow(paddedHidden) : gruBackwardRow(paddedHidden),
    matmul('inputMatmul', paddedInput, width),
    gradientMatmul('inputGradientMatmul', paddedInput, width),
    gradientMatmul('recurrentGradientMatmul', paddedHidden, width),
    columnSums(width),
  ], { sharedMemory });
}

const I32_PARAMS = (count: number) => Array.from({ length: count }, () => 'i32' as const);

/**
 * c (+)= a · b for b [inner, columns] contiguous; blocks of 4 rows × 8 columns kept in eight
 * registers, so each loaded b vector serves four rows.
 */
function matmul(name: string, inner: number, columns: number) {
  const writer = new FunctionWriter(name, I32_PARAMS(7));
  const [a, lda, b, c, ldc, m, accumulate] = writer.params;
  const [row, column, p, bPointer, scalar] = [writer.local('i32'), writer.local('i32'), writer.local('i32'), writer.local('i32'), writer.local('v128')];
  const aPointers = Array.from({ length: ROW_BLOCK }, () => writer.local('i32'));
  const cRows = Array.from({ length: ROW_BLOCK }, () => writer.local('i32'));
  const accumulators = aPointers.map(() => [writer.local('v128'), writer.local('v128')]);
  const bVectors = [writer.local('v128'), writer.local('v128')];
  const rowAddress = (base: Local, stride: Local, r: number): Code => i32.add(get(base), i32.mul(i32.add(get(row), i32.const(r)), get(stride)));
  const cAddress = (r: number): Code => i32.add(get(cRows[r]), get(column));
  const body = forRange(row, i32.const(0), get(m), ROW_BLOCK, [
    ...aPointers.flatMap((pointer, r) => [...set(pointer, rowAddress(a, lda, r)), ...set(cRows[r], rowAddress(c, ldc, r))]),
    ...forRange(column, i32.const(0), i32.const(columns * 4), 32, [
      ...ifElse(
        get(accumulate),
        accumulators.flatMap((pair, r) => pair.flatMap((acc, half) => set(acc, f32x4.load(cAddress(r), 16 * half)))),
        accumulators.flat().flatMap((acc) => set(acc, f32x4.constant(0))),
      ),
      ...set(bPointer, i32.add(get(b), get(column))),
      ...forRange(p, i32.const(0), i32.const(inner), 1, [
        ...bVectors.flatMap((vector, half) => set(vector, f32x4.load(get(bPointer), 16 * half))),
        ...aPointers.flatMap((pointer, r) => [
          ...set(scalar, f32x4.loadSplat(get(pointer))),
          ...accumulators[r].flatMap((acc, half) => set(acc, f32x4.madd(get(scalar), get(bVectors[half]), get(acc)))),
          ...set(pointer, i32.add(get(pointer), i32.const(4))),
        ]),
        ...set(bPointer, i32.add(get(bPointer), i32.const(columns * 4))),
      ]),
      // The a pointers walked one row of a; rewind them for the next column block.
      ...aPointers.flatMap((pointer) => set(pointer, i32.add(get(pointer), i32.const(-inner * 4)))),
      ...accumulators.flatMap((pair, r) => pair.flatMap((acc, half) => f32x4.store(cAddress(r), get(acc), 16 * half))),
    ]),
  ]);
  return { writer, body };
}

/**
 * c[rows, columns] += Σ_p a[p]ᵀ b[p] for a[p] a row of `rows` floats and b[p] one of `columns`,
 * both strided by runtime byte strides: a weight gradient accumulated step by step, which keeps
 * the step's rows in cache instead of streaming all positions once per column block.
 */
function gradientMatmul(name: string, rows: number, columns: number) {
  const writer = new FunctionWriter(name, I32_PARAMS(6));
  const [a, aStride, b, bStride, c, inner] = writer.params;
  const [row, column, p, aPointer, bPointer, cPointer] = Array.from({ length: 6 }, () => writer.local('i32'));
  const scalar = writer.local('v128');
  const accumulators = Array.from({ length: ROW_BLOCK }, () => [writer.local('v128'), writer.local('v128')]);
  const bVectors = [writer.local('v128'), writer.local('v128')];
  const cOffset = (r: number, half: number) => r * columns * 4 + 16 * half;
  // `row` counts bytes of a's row (4 per float), so c's row r starts at c + row·columns.
  const body = forRange(row, i32.const(0), i32.const(rows * 4), ROW_BLOCK * 4, [
    ...forRange(column, i32.const(0), i32.const(columns * 4), 32, [
      ...set(cPointer, i32.add(i32.add(get(c), i32.mul(get(row), i32.const(columns))), get(column))),
      ...accumulators.flatMap((pair, r) => pair.flatMap((acc, half) => set(acc, f32x4.load(get(cPointer), cOffset(r, half))))),
      ...set(aPointer, i32.add(get(a), get(row))),
      ...set(bPointer, i32.add(get(b), get(column))),
      ...forRange(p, i32.const(0), get(inner), 1, [
        ...bVectors.flatMap((vector, half) => set(vector, f32x4.load(get(bPointer), 16 * half))),
        ...accumulators.flatMap((pair, r) => [
          ...set(scalar, f32x4.loadSplat(get(aPointer), 4 * r)),
          ...pair.flatMap((acc, half) => set(acc, f32x4.madd(get(scalar), get(bVectors[half]), get(acc)))),
        ]),
        ...set(aPointer, i32.add(get(aPointer), get(aStride))),
        ...set(bPointer, i32.add(get(bPointer), get(bStride))),
      ]),
      ...accumulators.flatMap((pair, r) => pair.flatMap((acc, half) => f32x4.store(get(cPointer), get(acc), cOffset(r, half)))),
    ]),
  ]);
  return { writer, body };
}

/** c[columns] += Σ_p b[p], b's rows `bStride` bytes apart. */
function columnSums(columns: number) {
  const writer = new FunctionWriter('columnSums', I32_PARAMS(4));
  const [b, bStride, c, inner] = writer.params;
  const [column, p, bPointer] = [writer.local('i32'), writer.local('i32'), writer.local('i32')];
  const sum = writer.local('v128');
  const body = forRange(column, i32.const(0), i32.const(columns * 4), 16, [
    ...set(sum, f32x4.load(i32.add(get(c), get(column)))),
    ...set(bPointer, i32.add(get(b), get(column))),
    ...forRange(p, i32.const(0), get(inner), 1, [
      ...set(sum, f32x4.add(get(sum), f32x4.load(get(bPointer)))),
      ...set(bPointer, i32.add(get(bPointer), get(bStride))),
    ]),
    ...f32x4.store(i32.add(get(c), get(column)), get(sum)),
  ]);
  return { writer, body };
}

const v = f32x4.constant;

/** A row kernel's frame: its pointer parameters, a lane offset walking the hidden units, and helpers. */
function rowKernel(name: string, paramCount: number, hidden: number) {
  const writer = new FunctionWriter(name, I32_PARAMS(paramCount));
  const offset = writer.local('i32');
  const scratch: ExpScratch = { x: writer.local('v128'), k: writer.local('v128') };
  const gateBytes = hidden * 4;
  const at = (pointer: Local): Code => i32.add(get(pointer), get(offset));
  return {
    writer,
    scratch,
    vector: () => writer.local('v128'),
    load: (pointer: Local, gate = 0): Code => f32x4.load(at(pointer), gate * gateBytes),
    store: (pointer: Local, value: Code, gate = 0): Code => f32x4.store(at(pointer), value, gate * gateBytes),
    loop: (body: Code[]) => ({ writer, body: forRange(offset, i32.const(0), i32.const(gateBytes), 16, body.flat()) }),
  };
}

const { add, sub, mul, madd } = f32x4;
const oneMinus = (x: Code): Code => sub(v(1), x);

/** `saves`: the forward row keeping what the backward pass reads; otherwise the inference row, which skips those stores. */
const forwardRowFrame = (hidden: number, saves: boolean) => {
  const k = rowKernel(saves ? 'forwardRow' : 'inferenceRow', 10, hidden);
  return { k, save: (code: Code): Code => (saves ? code : []) };
};

/**
 * Loads a float of every cache line of the `bytes` at `pointer`, and drops it. A row's z is a
 * frozen table's row, read at random, whose lines come from memory (~200 ns: measured, the GRU's
 * row kernels took twice as long in a scoring pass as on rows in cache); touched one step ahead,
 * the loads run beside this step's arithmetic. The engine keeps the loads, which may trap.
 */
function touchRow(pointer: Local, bytes: number): Code {
  // A line's width apart, then the last float: a row not aligned to lines ends in one more line.
  const last = bytes - 4;
  const offsets = [...Array.from({ length: Math.ceil(last / CACHE_LINE) }, (_, line) => line * CACHE_LINE), last];
  return offsets.flatMap((offset) => drop(f32.load(get(pointer), offset)));
}

/** Bytes of a cache line on the processors the kernels run on (x86-64 and ARM64). */
const CACHE_LINE = 64;

/** A forward row kernel: its loop over the hidden units, after touching the next step's z row. */
function forwardRowKernel(k: ReturnType<typeof rowKernel>, gates: number, hidden: number, body: Code[]) {
  const loop = k.loop(body);
  return { writer: loop.writer, body: [...touchRow(k.writer.params[9], gates * hidden * 4), ...loop.body] };
}

function lstmForwardRow(hidden: number, saves: boolean) {
  const { k, save } = forwardRowFrame(hidden, saves);
  const [z, rec, act, h, hPrev, out, c, cPrevious, tanhC] = k.writer.params;
  const [i, f, g, o, cOld, cNew, tc] = Array.from({ length: 7 }, k.vector);
  const preactivation = (gate: number) => add(k.load(z, gate), k.load(rec, gate));
  return forwardRowKernel(k, GATES.lstm, hidden, [
    sigmoid(i, preactivation(0), k.scratch),
    sigmoid(f, preactivation(1), k.scratch),
    tanh(g, preactivation(2), k.scratch),
    sigmoid(o, preactivation(3), k.scratch),
    ...[i, f, g, o].map((gate, index) => save(k.store(act, get(gate), index))),
    set(cOld, k.load(c)),
    save(k.store(cPrevious, get(cOld))),
    save(k.store(hPrev, k.load(h))),
    set(cNew, madd(get(f), get(cOld), mul(get(i), get(g)))),
    k.store(c, get(cNew)),
    tanh(tc, get(cNew), k.scratch),
    save(k.store(tanhC, get(tc))),
    k.store(h, mul(get(o), get(tc))),
    k.store(out, mul(get(o), get(tc))),
  ]);
}

function lstmBackwardRow(hidden: number) {
  const k = rowKernel('backwardRow', 9, hidden);
  const [act, , dOut, dh, dz, , dc, cPrevious, tanhC] = k.writer.params;
  const [i, f, g, o, dhTotal, dcTotal, tc] = Array.from({ length: 7 }, k.vector);
  return k.loop([
    ...[i, f, g, o].map((gate, index) => set(gate, k.load(act, index))),
    set(tc, k.load(tanhC)),
    set(dhTotal, add(k.load(dh), k.load(dOut))),
    set(dcTotal, madd(mul(get(dhTotal), get(o)), oneMinus(mul(get(tc), get(tc))), k.load(dc))),
    k.store(dz, mul(mul(mul(get(dcTotal), get(g)), get(i)), oneMinus(get(i))), 0),
    k.store(dz, mul(mul(mul(get(dcTotal), k.load(cPrevious)), get(f)), oneMinus(get(f))), 1),
    k.store(dz, mul(mul(get(dcTotal), get(i)), oneMinus(mul(get(g), get(g)))), 2),
    k.store(dz, mul(mul(mul(get(dhTotal), get(tc)), get(o)), oneMinus(get(o))), 3),
    k.store(dc, mul(get(dcTotal), get(f))),
    // All of dL/dh_{t−1} flows through U: the matmul after the rows adds it.
    k.store(dh, v(0)),
  ]);
}

function gruForwardRow(hidden: number, saves: boolean) {
  const { k, save } = forwardRowFrame(hidden, saves);
  const [z, rec, act, h, hPrev, out, , recurrentCandidate] = k.writer.params;
  const [r, u, n, candidate, hOld, hNew] = Array.from({ length: 6 }, k.vector);
  return forwardRowKernel(k, GATES.gru, hidden, [
    sigmoid(r, add(k.load(z, 0), k.load(rec, 0)), k.scratch),
    sigmoid(u, add(k.load(z, 1), k.load(rec, 1)), k.scratch),
    set(candidate, k.load(rec, 2)),
    tanh(n, madd(get(r), get(candidate), k.load(z, 2)), k.scratch),
    ...[r, u, n].map((gate, index) => save(k.store(act, get(gate), index))),
    save(k.store(recurrentCandidate, get(candidate))),
    set(hOld, k.load(h)),
    save(k.store(hPrev, get(hOld))),
    set(hNew, madd(get(u), sub(get(hOld), get(n)), get(n))),
    k.store(h, get(hNew)),
    k.store(out, get(hNew)),
  ]);
}

function gruBackwardRow(hidden: number) {
  const k = rowKernel('backwardRow', 9, hidden);
  const [act, hPrev, dOut, dh, dz, dRec, , recurrentCandidate] = k.writer.params;
  const [r, u, n, dhTotal, dPreN, dPreR, dPreU] = Array.from({ length: 7 }, k.vector);
  return k.loop([
    ...[r, u, n].map((gate, index) => set(gate, k.load(act, index))),
    set(dhTotal, add(k.load(dh), k.load(dOut))),
    set(dPreN, mul(mul(get(dhTotal), oneMinus(get(u))), oneMinus(mul(get(n), get(n))))),
    set(dPreR, mul(mul(mul(get(dPreN), k.load(recurrentCandidate)), get(r)), oneMinus(get(r)))),
    set(dPreU, mul(mul(mul(get(dhTotal), sub(k.load(hPrev), get(n))), get(u)), oneMinus(get(u)))),
    k.store(dz, get(dPreR), 0),
    k.store(dz, get(dPreU), 1),
    k.store(dz, get(dPreN), 2),
    k.store(dRec, get(dPreR), 0),
    k.store(dRec, get(dPreU), 1),
    k.store(dRec, mul(get(dPreN), get(r)), 2),
    k.store(dh, mul(get(dhTotal), get(u))),
  ]);
}
