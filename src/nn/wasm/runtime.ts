/**
 * The few WebAssembly JS APIs the kernels use, typed here: the project compiles against ES
 * libraries only, and their declarations live in TypeScript's DOM library.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` 64 KiB pages, keeping the contents (views on the old buffer are detached). */
  grow(pages: number): number;
}

/** A compiled module, opaque. */
export interface WasmModule {
  readonly compiledModule: unique symbol;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => { readonly exports: object };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export const compileModule = (bytes: Uint8Array<ArrayBuffer>): WasmModule => new api.Module(bytes);

const pages = (bytes: number): number => Math.max(1, Math.ceil(bytes / 65_536));

/** A fresh, zero-filled memory of `bytes` (rounded up to whole 64 KiB pages). */
export const createMemory = (bytes: number): WasmMemory => new api.Memory({ initial: pages(bytes) });

/**
 * A fresh, zero-filled memory that worker threads can share (posted to them, it stays one
 * memory); it cannot grow, which a shared memory could only do up to a maximum fixed now.
 */
export const createSharedMemory = (bytes: number): WasmMemory => new api.Memory({ initial: pages(bytes), maximum: pages(bytes), shared: true });

/** Instantiates `module` on `memory` (imported as `env.memory`); returns its exports. */
export const instantiate = <Exports>(module: WasmModule, memory: WasmMemory): Exports =>
  new api.Instance(module, { env: { memory } }).exports as Exports;
