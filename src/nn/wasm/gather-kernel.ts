/**
 * Embedding lookup in WebAssembly: the frozen table lives in the kernels' memory. Copying 64×230
 * rows of 100 floats with `Float32Array.set` from subarrays takes ~6 ms (an object per row). A
 * bulk-memory copy per row costs a call into the engine each (~50 ns, a third of a scoring pass
 * over IMDB's 5.8 M tokens); rows of whole SIMD vectors are copied by vector loads and stores
 * instead, and the others by bulk-memory copies.
 */
import { f32x4, forRange, FunctionWriter, get, i32, memoryCopy, set, type Code } from './emitter.js';

/** `name(ids, table, out, count, rowBytes)`: out[p, :] = table[ids[p], :] for p < count, rows of `rowBytes` bytes copied by `copyRow`. */
function gatherWith(name: string, copyRow: (target: Code, source: Code, rowBytes: Code, offset: ReturnType<FunctionWriter['local']>) => Code) {
  const writer = new FunctionWriter(name, ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [ids, table, out, count, rowBytes] = writer.params;
  const [position, offset] = [writer.local('i32'), writer.local('i32')];
  const body = forRange(position, i32.const(0), get(count), 1, [
    ...copyRow(get(out), i32.add(get(table), i32.mul(i32.load(get(ids)), get(rowBytes))), get(rowBytes), offset),
    ...set(ids, i32.add(get(ids), i32.const(4))),
    ...set(out, i32.add(get(out), get(rowBytes))),
  ]);
  return { writer, body };
}

/** Rows of any size, one bulk-memory copy each. */
export const gatherFunction = () => gatherWith('gather', (target, source, rowBytes) => memoryCopy(target, source, rowBytes));

/** Rows of a multiple of 16 bytes, by vectors. */
export const gatherVectorsFunction = () =>
  gatherWith('gatherVectors', (target, source, rowBytes, offset) =>
    forRange(offset, i32.const(0), rowBytes, 16, f32x4.store(i32.add(target, get(offset)), f32x4.load(i32.add(source, get(offset))))),
  );
