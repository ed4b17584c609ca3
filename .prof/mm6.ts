import { encodeModule, f32x4, forRange, FunctionWriter, generateFor, get, i32, ifElse, set, type Code, type Local } from '../src/nn/wasm/emitter.js';
import { createMemory, instantiate, compileModule, simdPath } from '../src/nn/wasm/runtime.js';
console.log(simdPath());

function matmul(name: string, inner: number, columns: number, R: number, V: number) {
  const writer = new FunctionWriter(name, Array(7).fill('i32'));
  const [a, lda, b, c, ldc, m, accumulate] = writer.params;
  const [row, column, p, bPointer, scalar] = [writer.local('i32'), writer.local('i32'), writer.local('i32'), writer.local('i32'), writer.local('v128')];
  const aPointers = Array.from({ length: R }, () => writer.local('i32'));
  const cRows = Array.from({ length: R }, () => writer.local('i32'));
  const accumulators = aPointers.map(() => Array.from({ length: V }, () => writer.local('v128')));
  const bVectors = Array.from({ length: V }, () => writer.local('v128'));
  const rowAddress = (base: Local, stride: Local, r: number): Code => i32.add(get(base), i32.mul(i32.add(get(row), i32.const(r)), get(stride)));
  const cAddress = (r: number): Code => i32.add(get(cRows[r]), get(column));
  const body = forRange(row, i32.const(0), get(m), R, [
    ...aPointers.flatMap((pointer, r) => [...set(pointer, rowAddress(a, lda, r)), ...set(cRows[r], rowAddress(c, ldc, r))]),
    ...forRange(column, i32.const(0), i32.const(columns * 4), 16 * V, [
      ...ifElse(get(accumulate), accumulators.flatMap((pair, r) => pair.flatMap((acc, half) => set(acc, f32x4.load(cAddress(r), 16 * half)))), accumulators.flat().flatMap((acc) => set(acc, f32x4.constant(0)))),
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
      ...aPointers.flatMap((pointer) => set(pointer, i32.add(get(pointer), i32.const(-inner * 4)))),
      ...accumulators.flatMap((pair, r) => pair.flatMap((acc, half) => f32x4.store(cAddress(r), get(acc), 16 * half))),
    ]),
  ]);
  return { writer, body };
}
const inner = 64, columns = Number(process.env.COLS ?? 192);
const variants = [[4, 2], [6, 2], [5, 2], [3, 3], [4, 3], [2, 4], [8, 1]];
const memory = createMemory(1 << 24);
const f = new Float32Array(memory.buffer); for (let i = 0; i < f.length; i++) f[i] = Math.sin(i);
const mods = variants.map(([R, V]) => instantiate<{ mm: (...a: number[]) => void }>(compileModule(generateFor('fused', () => encodeModule([matmul('mm', inner, columns, R, V)]))), memory));
const rows = 120; // multiple of 2,3,4,5,6,8
for (let round = 0; round < 3; round++) {
  const out: string[] = [];
  mods.forEach((ex, i) => {
    const N = 3000;
    const t0 = performance.now();
    for (let k = 0; k < N; k++) ex.mm(0, 4 * inner, 1 << 20, 1 << 21, 4 * columns, rows, 0);
    const s = (performance.now() - t0) / 1000;
    out.push(`${variants[i].join('x')}: ${((N * rows * inner * columns) / s / 1e9).toFixed(1)}`);
  });
  console.log(out.join('  '), 'GMAC/s');
}
// check equality 4x2 vs 6x2
mods[0].mm(0, 4 * inner, 1 << 20, 1 << 21, 4 * columns, rows, 0);
const ref = f.slice((1 << 21) / 4, (1 << 21) / 4 + rows * columns);
mods[1].mm(0, 4 * inner, 1 << 20, 1 << 21, 4 * columns, rows, 0);
console.log('same', ref.every((x, i) => x === f[(1 << 21) / 4 + i]));
