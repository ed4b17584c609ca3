/**
 * The parts of kernel calls a kernel thread runs: plain data (structured-cloneable), the memory
 * shared with the calling thread, which instantiates nothing of its own on it.
 */
import { recurrentModule, type RecurrentKernels } from '../wasm/recurrent-kernels.js';
import { backwardRows, forwardRows, type RecurrentDims, type RecurrentLayout, type RowRange } from '../wasm/recurrent-steps.js';
import { instantiate, type WasmMemory } from '../wasm/runtime.js';

/** One range of a recurrence's rows, forward or backward (its gradients into slot `slot`). */
export interface RecurrentJob {
  readonly kind: 'recurrent-forward' | 'recurrent-backward';
  readonly memory: WasmMemory;
  readonly dims: RecurrentDims;
  readonly layout: RecurrentLayout;
  readonly reverse: boolean;
  readonly range: RowRange;
  readonly slot: number;
}

export type KernelJob = RecurrentJob;

/** Instances of this thread on a shared memory: per memory and module, for the forward and backward jobs of one call. */
const instances = new WeakMap<WasmMemory, Map<string, RecurrentKernels>>();

/** The recurrence kernels on `memory` (shared), instantiated once per memory in this thread. */
export function sharedRecurrentKernels(memory: WasmMemory, { cell, paddedHidden, paddedInput }: RecurrentDims): RecurrentKernels {
  const key = `${cell}:${paddedHidden}:${paddedInput}`;
  let perMemory = instances.get(memory);
  if (perMemory === undefined) instances.set(memory, (perMemory = new Map()));
  let kernels = perMemory.get(key);
  if (kernels === undefined) perMemory.set(key, (kernels = instantiate<RecurrentKernels>(recurrentModule(cell, paddedHidden, paddedInput, true), memory)));
  return kernels;
}

export function runJob(job: KernelJob): void {
  const kernels = sharedRecurrentKernels(job.memory, job.dims);
  if (job.kind === 'recurrent-forward') forwardRows(kernels, job.memory.buffer, job.layout, job.dims, job.reverse, job.range);
  else backwardRows(kernels, job.memory.buffer, job.layout, job.dims, job.reverse, job.range, job.layout.gradients[job.slot]);
}
