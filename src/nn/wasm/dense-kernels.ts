/**
 * WebAssembly SIMD kernels of a dense layer [rows, in] → [rows, out], generated for one (in, out)
 * pair (both multiples of 4): the product with its bias, the activation in place, and the three
 * gradients. On wasm, tfjs computes the weight gradient xᵀ·dy as an explicit transpose of x
 * (~8 ms at 64×230 rows) and a product whose inner dimension is all the rows (~40 ms); here it is
 * accumulated over panels of rows that stay in cache, each output block in registers (~2× faster),
 * and x, y and d(pre-activation) never leave the kernels' memory between the three gradients.
 */
import { activationFunctions, KERNEL_ACTIVATIONS, type ActivationExports } from './activation-kernels.js';
import { encodeModule, f32x4, forRange, FunctionWriter, get, i32, set, type Code, type Local, type SimdPath } from './emitter.js';
import { compiledKernel, type WasmModule } from './runtime.js';

/** Rows the product computes at once: buffers hold a multiple of it (the extra rows are scratch). */
export const DENSE_ROW_BLOCK = 4;

/** The functions a dense kernel instance exports, the in-place activations included; arguments are byte addresses unless named. */
export interface DenseKernels extends ActivationExports {
  /** y[rows, out] = x[rows, in] · w[in, out] + bias[out], `rows` a multiple of 4. */
  forward(x: number, w: number, bias: number, y: number, rows: number): void;
  /** dx[rows, in] = d[rows, out] · wᵀ + zeros[in], the transpose given as wt [out, in]; `rows` a multiple of 4. */
  inputGradient(d: number, wt: number, zeros: number, dx: number, rows: number): void;
  /** dw[in, out] += Σ_{r < rows} x[r]ᵀ d[r]: one panel of rows (any count). */
  weightGradient(x: number, d: number, dw: number, rows: number): void;
  /** db[out] += Σ_{r < rows} d[r]. */
  biasGradient(d: number, db: number, rows: number): void;
}

/** The compiled module for a layer of `inputs` → `outputs` units, both multiples of 4 (`path`: the process's unless given). */
export const denseModule = (inputs: number, outputs: number, path?: SimdPath): WasmModule =>
  compiledKernel(`dense:${inputs}:${outputs}`, () => denseModuleBytes(inputs, outputs), path);

export function denseModuleBytes(inputs: number, outputs: number): Uint8Array<ArrayBuffer> {
  return encodeModule([
    product('forward', inputs, outputs),
    product('inputGradient', outputs, inputs),
    weightGradient(inputs, outputs),
    biasGradient(outputs),
    ...KERNEL_ACTIVATIONS.flatMap(activationFunctions),
  ]);
}

const I32_PARAMS = (count: number) => Array.from({ length: count }, () => 'i32' as const);

/** Column blocks of 8 floats (two vectors), then one of 4 when `columns` is not a multiple of 8. */
function columnBlocks(columns: number, column: Local, block: (vectors: 1 | 2) => Code): Code {
  const wide = Math.floor(columns / 8) * 32;
  const tail = columns % 8 === 4 ? [...set(column, i32.const(wide)), ...block(1)] : [];
  return [...forRange(column, i32.const(0), i32.const(wide), 32, block(2)), ...tail];
}

/**
 * c[rows, columns] = a[rows, inner] · b[inner, columns] + bias[columns], all contiguous; blocks of
 * 4 rows × 8 columns in eight registers, so each loaded b vector serves four rows. A zero bias
 * (a zeroed region) makes it a plain product.
 */
function product(name: string, inner: number, columns: number) {
  const writer = new FunctionWriter(name, I32_PARAMS(5));
  const [a, b, bias, c, rows] = writer.params;
  const [row, column, p, bPointer, scalar] = [writer.local('i32'), writer.local('i32'), writer.local('i32'), writer.local('i32'), writer.local('v128')];
  const aPointers = Array.from({ length: DENSE_ROW_BLOCK }, () => writer.local('i32'));
  const cRows = Array.from({ length: DENSE_ROW_BLOCK }, () => writer.local('i32'));
  const accumulators = aPointers.map(() => [writer.local('v128'), writer.local('v128')]);
  const bVectors = [writer.local('v128'), writer.local('v128')];
  const rowAddress = (base: Local, width: number, r: number): Code => i32.add(get(base), i32.mul(i32.add(get(row), i32.const(r)), i32.const(width * 4)));
  const cAddress = (r: number): Code => i32.add(get(cRows[r]), get(column));
  const block = (vectors: 1 | 2): Code => {
    const used = accumulators.map((pair) => pair.slice(0, vectors));
    return [
      ...used.flatMap((pair) => pair.flatMap((acc, half) => set(acc, f32x4.load(i32.add(get(bias), get(column)), 16 * half)))),
      ...set(bPointer, i32.add(get(b), get(column))),
      ...forRange(p, i32.const(0), i32.const(inner), 1, [
        ...bVectors.slice(0, vectors).flatMap((vector, half) => set(vector, f32x4.load(get(bPointer), 16 * half))),
        ...aPointers.flatMap((pointer, r) => [
          ...set(scalar, f32x4.loadSplat(get(pointer))),
          ...used[r].flatMap((acc, half) => set(acc, f32x4.madd(get(scalar), get(bVectors[half]), get(acc)))),
          ...set(pointer, i32.add(get(pointer), i32.const(4))),
        ]),
        ...set(bPointer, i32.add(get(bPointer), i32.const(columns * 4))),
      ]),
      // The a pointers walked one row of a; rewind them for the next column block.
      ...aPointers.flatMap((pointer) => set(pointer, i32.add(get(pointer), i32.const(-inner * 4)))),
      ...used.flatMap((pair, r) => pair.flatMap((acc, half) => f32x4.store(cAddress(r), get(acc), 16 * half))),
    ];
  };
  const body = forRange(row, i32.const(0), get(rows), DENSE_ROW_BLOCK, [
    ...aPointers.flatMap((pointer, r) => [...set(pointer, rowAddress(a, inner, r)), ...set(cRows[r], rowAddress(c, columns, r))]),
    ...columnBlocks(columns, column, block),
  ]);
  return { writer, body };
}

/**
 * c[inputs, outputs] += Σ_p a[p]ᵀ d[p] over one panel of rows: for each block of 4 inputs × 8
 * outputs, the panel's rows stream through registers once. Callers pass panels small enough to
 * stay in cache across the blocks.
 */
function weightGradient(inputs: number, outputs: number) {
  const writer = new FunctionWriter('weightGradient', I32_PARAMS(4));
  const [a, d, c, rows] = writer.params;
  const [input, column, p, aPointer, dPointer, cPointer] = Array.from({ length: 6 }, () => writer.local('i32'));
  const scalar = writer.local('v128');
  const accumulators = Array.from({ length: 4 }, () => [writer.local('v128'), writer.local('v128')]);
  const dVectors = [writer.local('v128'), writer.local('v128')];
  const cOffset = (r: number, half: number) => r * outputs * 4 + 16 * half;
  const block = (vectors: 1 | 2): Code => {
    const used = accumulators.map((pair) => pair.slice(0, vectors));
    return [
      // `input` counts bytes of a's row (4 per float), so c's row starts at c + input·outputs.
      ...set(cPointer, i32.add(i32.add(get(c), i32.mul(get(input), i32.const(outputs))), get(column))),
      ...used.flatMap((pair, r) => pair.flatMap((acc, half) => set(acc, f32x4.load(get(cPointer), cOffset(r, half))))),
      ...set(aPointer, i32.add(get(a), get(input))),
      ...set(dPointer, i32.add(get(d), get(column))),
      ...forRange(p, i32.const(0), get(rows), 1, [
        ...dVectors.slice(0, vectors).flatMap((vector, half) => set(vector, f32x4.load(get(dPointer), 16 * half))),
        ...used.flatMap((pair, r) => [
          ...set(scalar, f32x4.loadSplat(get(aPointer), 4 * r)),
          ...pair.flatMap((acc, half) => set(acc, f32x4.madd(get(scalar), get(dVectors[half]), get(acc)))),
        ]),
        ...set(aPointer, i32.add(get(aPointer), i32.const(inputs * 4))),
        ...set(dPointer, i32.add(get(dPointer), i32.const(outputs * 4))),
      ]),
      ...used.flatMap((pair, r) => pair.flatMap((acc, half) => f32x4.store(get(cPointer), get(acc), cOffset(r, half)))),
    ];
  };
  const body = forRange(input, i32.const(0), i32.const(inputs * 4), 16, columnBlocks(outputs, column, block));
  return { writer, body };
}

/** db[outputs] += Σ_r d[r], row by row: db stays in cache while d streams through once. */
function biasGradient(outputs: number) {
  const writer = new FunctionWriter('biasGradient', I32_PARAMS(3));
  const [d, db, rows] = writer.params;
  const [row, offset] = [writer.local('i32'), writer.local('i32')];
  const at = (base: Local): Code => i32.add(get(base), get(offset));
  const body = forRange(row, i32.const(0), get(rows), 1, [
    ...forRange(offset, i32.const(0), i32.const(outputs * 4), 16, f32x4.store(at(db), f32x4.add(f32x4.load(at(db)), f32x4.load(at(d))))),
    ...set(d, i32.add(get(d), i32.const(outputs * 4))),
  ]);
  return { writer, body };
}
