/**
 * Embedding lookup in WebAssembly: the frozen table lives in the kernels' memory and each
 * position's row is one bulk-memory copy. Copying 64×230 rows of 100 floats with
 * `Float32Array.set` from subarrays takes ~6 ms (an object per row); here ~1 ms.
 */
import { forRange, FunctionWriter, get, i32, memoryCopy, set } from './emitter.js';

/** `gather(ids, table, out, count, rowBytes)`: out[p, :] = table[ids[p], :] for p < count, rows of `rowBytes` bytes. */
export function gatherFunction() {
  const writer = new FunctionWriter('gather', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [ids, table, out, count, rowBytes] = writer.params;
  const position = writer.local('i32');
  const body = forRange(position, i32.const(0), get(count), 1, [
    ...memoryCopy(get(out), i32.add(get(table), i32.mul(i32.load(get(ids)), get(rowBytes))), get(rowBytes)),
    ...set(ids, i32.add(get(ids), i32.const(4))),
    ...set(out, i32.add(get(out), get(rowBytes))),
  ]);
  return { writer, body };
}

