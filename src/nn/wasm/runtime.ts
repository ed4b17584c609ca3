/**
 * The few WebAssembly JS APIs the kernels use, typed here (the project compiles against ES
 * libraries only, and their declarations live in TypeScript's DOM library), and the choice of
 * the SIMD path every kernel module of the process is generated for.
 */
import { setFlagsFromString } from 'node:v8';
import { AttnlabError } from '../../errors.js';
import { encodeModule, f32x4, FunctionWriter, generateFor, get, i32, type SimdPath } from './emitter.js';

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
  validate: (bytes: Uint8Array<ArrayBuffer>) => boolean;
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

/**
 * The environment variable choosing the kernels' SIMD path: `plain` rules the fused multiply-add
 * out (e.g. to see whether it is why results differ between machines); unset or `auto`, the
 * kernels fuse where the engine runs relaxed SIMD.
 */
export const SIMD_ENV = 'ATTNLAB_SIMD';
const SIMD_SETTINGS: readonly string[] = ['auto', 'plain'];

/** A module computing one relaxed_madd: it validates exactly where the fused path can run. */
function relaxedSimdProbe(): Uint8Array<ArrayBuffer> {
  const writer = new FunctionWriter('probe', ['v128', 'v128', 'v128']);
  const [a, b, c] = writer.params;
  return generateFor('fused', () => encodeModule([{ writer, body: f32x4.store(i32.const(0), f32x4.madd(get(a), get(b), get(c))) }]));
}

/**
 * Whether this engine validates relaxed SIMD, enabling it first where it is still behind a flag
 * (Node 20's V8 11.3). The flag holds for the whole process, worker threads included, from the
 * next module compiled on: this runs before the first kernel compiles.
 */
export function relaxedSimdValidates(): boolean {
  const probe = relaxedSimdProbe();
  if (api.validate(probe)) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return api.validate(probe);
}

/** The path `setting` (the value of {@link SIMD_ENV}) chooses: `plain` when forced or when relaxed SIMD does not validate. */
export function chooseSimdPath(setting: string | undefined, validates: () => boolean): SimdPath {
  const choice = setting === undefined || setting === '' ? 'auto' : setting;
  if (!SIMD_SETTINGS.includes(choice)) {
    throw new AttnlabError(
      'bad-simd-setting',
      `${SIMD_ENV}="${setting}" is not a SIMD setting: set it to "plain" to compute without fused multiply-add, or leave it unset (or "auto") to fuse where the engine can`,
    );
  }
  return choice === 'auto' && validates() ? 'fused' : 'plain';
}

let processPath: SimdPath | undefined;

/** The path this process's kernels are generated for, decided once, before the first one compiles. */
export function simdPath(): SimdPath {
  processPath ??= chooseSimdPath(process.env[SIMD_ENV], relaxedSimdValidates);
  return processPath;
}

/** The kernels' path in words, for the run's log. */
export function describeSimdPath(path: SimdPath = simdPath()): string {
  if (path === 'fused') return 'WebAssembly SIMD with fused multiply-add (relaxed SIMD)';
  return process.env[SIMD_ENV] === 'plain' ? `WebAssembly SIMD, no fused multiply-add (${SIMD_ENV}=plain)` : 'WebAssembly SIMD, no fused multiply-add (this engine lacks relaxed SIMD)';
}

const kernelModules = new Map<string, WasmModule>();

/**
 * The kernel module `generate` builds (its sizes named by `key`), generated for `path` and
 * compiled once per key and path: both paths' modules can live in one process.
 */
export function compiledKernel(key: string, generate: () => Uint8Array<ArrayBuffer>, path: SimdPath = simdPath()): WasmModule {
  const cacheKey = `${path}:${key}`;
  let module = kernelModules.get(cacheKey);
  if (module === undefined) {
    module = compileModule(generateFor(path, generate));
    kernelModules.set(cacheKey, module);
  }
  return module;
}
