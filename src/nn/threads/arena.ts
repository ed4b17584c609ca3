/**
 * The kernels' memory: one `WebAssembly.Memory` per pool of kernel threads, reused by every
 * kernel call and grown only when a call needs more than it has ever needed. A fresh memory per
 * call cost each call its page faults (tens of MB, zeroed by the OS, on every thread that touches
 * them) and left V8 tens of MB of garbage it collected too rarely.
 *
 * Calls take regions on top of the ones still in use and give them back once done; a region's
 * contents are whatever the previous call left, so its user clears what it relies on being 0.
 */
import { MAX_PAGES } from '../wasm/emitter.js';
import { createMemory, instantiate, type WasmMemory, type WasmModule } from '../wasm/runtime.js';

const PAGE_BYTES = 65_536;
/** Regions start on cache lines, so that two threads writing neighbouring regions never share one. */
const REGION_ALIGNMENT = 64;

interface SharedMemoryApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
}

/**
 * A shared memory that can grow up to the whole 32-bit range (the maximum the kernels' modules
 * declare): growing one in place keeps it the same memory on every thread, where a replaced one
 * would have to be posted to each of them again.
 */
function createGrowableSharedMemory(): WasmMemory {
  const api = (globalThis as unknown as { WebAssembly: SharedMemoryApi }).WebAssembly;
  return new api.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
}

/** A range of the arena's memory held by one kernel call. */
export interface ArenaRegion {
  /** Byte address of its first byte, a multiple of 64. */
  readonly address: number;
  readonly bytes: number;
  /** What it is held for (see {@link KernelArena.releaseOthers}); none: until released. */
  readonly holder: object | undefined;
}

/** The modules a thread has instantiated on one memory, once each. */
export class MemoryInstances {
  private readonly instances = new Map<string, object>();

  constructor(readonly memory: WasmMemory) {}

  /** `module` instantiated on the memory, once per `key`. */
  get<Exports extends object>(key: string, module: () => WasmModule): Exports {
    let exports = this.instances.get(key);
    if (exports === undefined) this.instances.set(key, (exports = instantiate<Exports>(module(), this.memory)));
    return exports as Exports;
  }
}

export class KernelArena {
  readonly memory: WasmMemory;
  readonly instances: MemoryInstances;
  private readonly live = new Set<ArenaRegion>();

  /** `shared`: worker threads work on it too (its modules must import a shared memory). */
  constructor(readonly shared: boolean) {
    this.memory = shared ? createGrowableSharedMemory() : createMemory(PAGE_BYTES);
    this.instances = new MemoryInstances(this.memory);
  }

  /**
   * A region of `bytes` above every region in use, growing the memory when it ends past it;
   * held for `holder` (e.g. the gradient tape a forward pass recorded on) or until released.
   */
  allocate(bytes: number, holder?: object): ArenaRegion {
    const address = Math.ceil(this.top() / REGION_ALIGNMENT) * REGION_ALIGNMENT;
    const missing = address + bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE_BYTES));
    const region = { address, bytes, holder };
    this.live.add(region);
    return region;
  }

  release(region: ArenaRegion): void {
    this.live.delete(region);
  }

  /** Releases every region held for a holder other than `current`: no call can come back for them. */
  releaseOthers(current: object | undefined): void {
    for (const region of this.live) if (region.holder !== undefined && region.holder !== current) this.live.delete(region);
  }

  /** Bytes in use by live regions, up to the highest one's end. */
  get used(): number {
    return this.top();
  }

  /** The end of the highest region in use: the next region starts there. */
  private top(): number {
    let top = 0;
    for (const { address, bytes } of this.live) top = Math.max(top, address + bytes);
    return top;
  }

  /** Bytes the memory spans now (it never shrinks). */
  get size(): number {
    return this.memory.buffer.byteLength;
  }
}
