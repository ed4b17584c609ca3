/**
 * The parts of kernel calls a kernel thread runs: plain data (structured-cloneable) addressing
 * the memory the thread shares with its pool, which it got once, at start-up.
 */
import { recurrentModule, type RecurrentKernels } from '../wasm/recurrent-kernels.js';
import { backwardRows, forwardRows, type RecurrentDims, type RecurrentLayout, type RowRange } from '../wasm/recurrent-steps.js';
import type { MemoryInstances } from './arena.js';

/** One range of a recurrence's rows, forward or backward (its gradients into slot `slot`). */
export interface RecurrentJob {
  readonly kind: 'recurrent-forward' | 'recurrent-backward';
  readonly dims: RecurrentDims;
  readonly layout: RecurrentLayout;
  readonly reverse: boolean;
  readonly range: RowRange;
  readonly slot: number;
}

export type KernelJob = RecurrentJob;

/** The recurrence kernels for `dims` on the instances' memory (`shared`: a memory threads share). */
export function recurrentKernels(instances: MemoryInstances, { cell, paddedHidden, paddedInput }: RecurrentDims, shared: boolean): RecurrentKernels {
  return instances.get<RecurrentKernels>(`recurrent:${cell}:${paddedHidden}:${paddedInput}`, () => recurrentModule(cell, paddedHidden, paddedInput, shared));
}

/** Runs `job` on the calling thread's instances of its kernels. */
export function runJob(job: KernelJob, instances: MemoryInstances, shared: boolean): void {
  const kernels = recurrentKernels(instances, job.dims, shared);
  const { buffer } = instances.memory;
  if (job.kind === 'recurrent-forward') forwardRows(kernels, buffer, job.layout, job.dims, job.reverse, job.range);
  else backwardRows(kernels, buffer, job.layout, job.dims, job.reverse, job.range, job.layout.gradients[job.slot]);
}
