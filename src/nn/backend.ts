/**
 * Chooses the tfjs backend a run computes with. tfjs itself is imported lazily here, so that
 * importing this module (and the CLI's `--help`) stays cheap.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { AttnlabError } from '../errors.js';
import type { Tf } from '../plugin-api.js';
import { registerCpuFallbackKernels } from './wasm-cpu-fallback.js';
import { describeSimdPath } from './wasm/runtime.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
type ConcreteBackend = Exclude<BackendChoice, 'auto'>;

/** Fastest first: `auto` takes the first one that loads. */
const PREFERENCE: readonly ConcreteBackend[] = ['tensorflow', 'wasm', 'cpu'];

export interface SelectedBackend {
  readonly tf: Tf;
  /** The backend that runs, as tfjs names it (`tensorflow`, `wasm` or `cpu`). */
  readonly backend: string;
  /** How attnlab's own WebAssembly kernels compute (with fused multiply-add or not), for the run's log. */
  readonly kernels: string;
}

/**
 * Loads tfjs and activates a backend. `auto` tries native TensorFlow (the optional
 * `@tensorflow/tfjs-node`, usually not installed), then WebAssembly, then plain JS; an explicit
 * choice that cannot load is an error naming the backend and the reason.
 */
export async function selectBackend(choice: BackendChoice): Promise<SelectedBackend> {
  const tf = await import('@tensorflow/tfjs');
  const candidates = choice === 'auto' ? PREFERENCE : [choice];
  const failures: string[] = [];
  for (const candidate of candidates) {
    const failure = await activate(tf, candidate);
    // Choosing the kernels' SIMD path now, before any kernel compiles, also rejects a bad ATTNLAB_SIMD up front.
    if (failure === undefined) return { tf, backend: tf.getBackend(), kernels: describeSimdPath() };
    failures.push(`${candidate}: ${failure}`);
  }
  throw new AttnlabError(
    'backend-unavailable',
    `compute backend "${choice}" cannot be used (${failures.join('; ')}); ` +
      `choose one of ${BACKEND_CHOICES.join(', ')} that loads here (wasm and cpu always ship with attnlab)`,
  );
}

/** Activates one backend; returns why it failed, or undefined on success. */
async function activate(tf: Tf, backend: ConcreteBackend): Promise<string | undefined> {
  try {
    if (backend === 'tensorflow') await loadOptionalModule('@tensorflow/tfjs-node');
    if (backend === 'wasm') await prepareWasm(tf);
    const ready = await tf.setBackend(backend);
    return ready ? undefined : 'tfjs could not initialise it';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function loadOptionalModule(name: string): Promise<void> {
  try {
    await import(name);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    // Its installer downloads libtensorflow, so on most machines it is simply absent.
    throw new Error(missing ? `${name} is not installed` : `${name} failed to load: ${String(error)}`);
  }
}

/**
 * Registers the wasm backend, with cpu stand-ins for the kernels it lacks, and points it at the binaries in its package. tfjs picks the SIMD
 * build itself when the runtime supports SIMD (Node 20 does); its threaded build needs Web
 * Workers created from blob URLs, which Node does not offer, so Node runs it single-threaded.
 */
async function prepareWasm(tf: Tf): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerCpuFallbackKernels(tf);
  const require = createRequire(import.meta.url);
  const packageFile = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  wasm.setWasmPaths(path.join(path.dirname(packageFile), 'dist') + path.sep);
}
