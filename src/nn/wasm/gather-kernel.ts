/**
 * Embedding lookup in WebAssembly: the frozen table lives in the kernel's memory and each
 * position's row is one bulk-memory copy. Copying 64×230 rows of 100 floats with
 * `Float32Array.set` from subarrays takes ~6 ms (an object per row); here ~1 ms.
 */
import { encodeModule, forRange, FunctionWriter, get, i32, memoryCopy, set } from './emitter.js';
import { compileModule, createMemory, instantiate, type WasmMemory, type WasmModule } from './runtime.js';

interface GatherExports {
  /** out[p, :] = table[ids[p], :] for p < count; rows of `rowBytes` bytes. */
  gather(ids: number, table: number, out: number, count: number, rowBytes: number): void;
}

function gatherFunction() {
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

let compiled: WasmModule | undefined;

/** A table [size, dim] copied once into its own memory, then gathered from. */
export class RowGatherer {
  private memory: WasmMemory;
  private readonly exports: GatherExports;
  private readonly tableBytes: number;

  constructor(
    table: Float32Array,
    private readonly dim: number,
  ) {
    compiled ??= compileModule(encodeModule([gatherFunction()]));
    this.tableBytes = 4 * table.length;
    this.memory = createMemory(this.tableBytes);
    new Float32Array(this.memory.buffer, 0, table.length).set(table);
    this.exports = instantiate<GatherExports>(compiled, this.memory);
  }

  /** The rows of `ids` [count], row-major [count, dim], as a new array. */
  gather(ids: Int32Array): Float32Array {
    const [idsAt, outAt] = [this.tableBytes, this.tableBytes + 4 * ids.length];
    const outFloats = ids.length * this.dim;
    const missing = outAt + 4 * outFloats - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65_536));
    new Int32Array(this.memory.buffer, idsAt, ids.length).set(ids);
    this.exports.gather(idsAt, 0, outAt, ids.length, 4 * this.dim);
    return new Float32Array(this.memory.buffer, outAt, outFloats).slice();
  }
}
