/**
 * WebAssembly SIMD kernels of the attention ops' row loops over token representations
 * [batch, time, dim]: Σ_t w·v, v·u per position, and w·u per position. In plain JS each takes
 * ~5–15 ms over a [64, 230, 100] batch; here four lanes at a time, a few times faster copies
 * included. The representations are copied into the kernels' memory once: the last two arrays
 * copied stay there, keyed by identity, because the forward and backward passes of a step read
 * the same token representations several times (values of tensors never change).
 */
import { encodeModule, f32, f32x4, forRange, FunctionWriter, get, i32, set, type Code } from './emitter.js';
import { compileModule, createMemory, instantiate, type WasmMemory, type WasmModule } from './runtime.js';

interface AttentionExports {
  /** out[b, :] = Σ_t w[b, t]·v[b, t, :]. `dimBytes` is 4·dim, dim a multiple of 4. */
  weightedRows(w: number, v: number, out: number, batch: number, time: number, dimBytes: number): void;
  /** out[b, t] = v[b, t, :]·u[b, :]; `uStride` 0 for one u shared by all rows, else `dimBytes`. */
  rowDots(v: number, u: number, out: number, batch: number, time: number, dimBytes: number, uStride: number): void;
  /** out[b, t, :] = w[b, t]·u[b, :]; `uStride` as in rowDots. */
  outerRows(w: number, u: number, out: number, batch: number, time: number, dimBytes: number, uStride: number): void;
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
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(outAt, f32x4.add(f32x4.load(outAt), f32x4.mul(get(weight), f32x4.load(i32.add(get(v), get(k))))))),
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
      ...forRange(k, i32.const(0), get(dimBytes), 16, set(sum, f32x4.add(get(sum), f32x4.mul(f32x4.load(i32.add(get(v), get(k))), f32x4.load(i32.add(get(u), get(k))))))),
      ...f32.store(get(out), f32.add(f32.add(lane(0), lane(1)), f32.add(lane(2), lane(3)))),
      ...set(out, i32.add(get(out), i32.const(4))),
      ...set(v, i32.add(get(v), get(dimBytes))),
    ]),
    ...set(u, i32.add(get(u), get(uStride))),
  ]);
  return { writer, body };
}

function outerRowsFunction() {
  const writer = new FunctionWriter('outerRows', I32(7));
  const [w, u, out, batch, time, dimBytes, uStride] = writer.params;
  const [b, t, k] = Array.from({ length: 3 }, () => writer.local('i32'));
  const weight = writer.local('v128');
  const body = forRange(b, i32.const(0), get(batch), 1, [
    ...forRange(t, i32.const(0), get(time), 1, [
      ...set(weight, f32x4.loadSplat(get(w))),
      ...forRange(k, i32.const(0), get(dimBytes), 16, f32x4.store(i32.add(get(out), get(k)), f32x4.mul(get(weight), f32x4.load(i32.add(get(u), get(k)))))),
      ...set(w, i32.add(get(w), i32.const(4))),
      ...set(out, i32.add(get(out), get(dimBytes))),
    ]),
    ...set(u, i32.add(get(u), get(uStride))),
  ]);
  return { writer, body };
}

export const attentionModuleBytes = (): Uint8Array<ArrayBuffer> => encodeModule([weightedRowsFunction(), rowDotsFunction(), outerRowsFunction()]);

const PAGE = 65_536;
const SLOTS = 2;

/**
 * The kernels' memory: {@link SLOTS} slots of `slotBytes` for cached token representations,
 * then a scratch area reused by every call for the small inputs and the outputs.
 */
class Arena {
  private readonly memory: WasmMemory;
  readonly kernels: AttentionExports;
  private slotBytes = 0;
  private readonly cached: (Float32Array | undefined)[] = Array.from({ length: SLOTS }, () => undefined);
  private lastUsed = 0;
  private scratchEnd: number | undefined;

  constructor(module: WasmModule) {
    this.memory = createMemory(PAGE);
    this.kernels = instantiate<AttentionExports>(module, this.memory);
  }

  /** Byte address of `values` in a slot, copying it there unless it already is. */
  representations(values: Float32Array): number {
    const found = this.cached.indexOf(values);
    if (found >= 0) {
      this.lastUsed = found;
      return found * this.slotBytes;
    }
    if (values.byteLength > this.slotBytes) {
      // Larger slots move every slot: nothing cached survives.
      this.slotBytes = Math.ceil((values.byteLength * 1.25) / 16) * 16;
      this.cached.fill(undefined);
    }
    const slot = (this.lastUsed + 1) % SLOTS;
    this.reserve(SLOTS * this.slotBytes);
    new Float32Array(this.memory.buffer, slot * this.slotBytes, values.length).set(values);
    this.cached[slot] = values;
    this.lastUsed = slot;
    return slot * this.slotBytes;
  }

  /** Starts a call: its scratch allocations will follow the slots. */
  beginCall(): void {
    this.scratchEnd = undefined;
  }

  /**
   * Byte address of `floats` scratch floats, holding `values` when given. A call places its
   * representations first: larger slots would move the scratch area.
   */
  scratch(floats: number, values?: Float32Array): number {
    const address = this.scratchEnd ?? SLOTS * this.slotBytes;
    this.scratchEnd = address + Math.ceil((floats * 4) / 16) * 16;
    this.reserve(this.scratchEnd);
    if (values !== undefined) new Float32Array(this.memory.buffer, address, values.length).set(values);
    return address;
  }

  read(address: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, floats).slice();
  }

  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
  }
}

let compiled: WasmModule | undefined;
let arena: Arena | undefined;

function currentArena(): Arena {
  compiled ??= compileModule(attentionModuleBytes());
  arena ??= new Arena(compiled);
  arena.beginCall();
  return arena;
}

/** Whether the kernels take rows of `dim` floats (whole SIMD vectors). */
export const fitsKernels = (dim: number): boolean => dim % 4 === 0;

/** out[b, :] = Σ_t w[b, t]·v[b, t, :]: w [batch, time], v [batch, time, dim] → [batch, dim]. */
export function weightedRowSums(w: Float32Array, v: Float32Array, batch: number, time: number, dim: number): Float32Array {
  const memory = currentArena();
  const vAt = memory.representations(v);
  const wAt = memory.scratch(batch * time, w);
  const out = memory.scratch(batch * dim);
  memory.kernels.weightedRows(wAt, vAt, out, batch, time, 4 * dim);
  return memory.read(out, batch * dim);
}

/** out[b, t] = v[b, t, :]·u: u [batch, dim], or [dim] shared by every row. */
export function rowDots(v: Float32Array, u: Float32Array, batch: number, time: number, dim: number): Float32Array {
  const memory = currentArena();
  const vAt = memory.representations(v);
  const uAt = memory.scratch(u.length, u);
  const out = memory.scratch(batch * time);
  memory.kernels.rowDots(vAt, uAt, out, batch, time, 4 * dim, u.length === dim ? 0 : 4 * dim);
  return memory.read(out, batch * time);
}

/** out[b, t, :] = w[b, t]·u: u [batch, dim], or [dim] shared by every row. */
export function outerRows(w: Float32Array, u: Float32Array, batch: number, time: number, dim: number): Float32Array {
  const memory = currentArena();
  const wAt = memory.scratch(batch * time, w);
  const uAt = memory.scratch(u.length, u);
  const out = memory.scratch(batch * time * dim);
  memory.kernels.outerRows(wAt, uAt, out, batch, time, 4 * dim, u.length === dim ? 0 : 4 * dim);
  return memory.read(out, batch * time * dim);
}
