/**
 * The parts of kernel calls a kernel thread runs: plain data (structured-cloneable) addressing
 * the memory the thread shares with its pool, which it got once, at start-up.
 */
import { recurrentModule, type RecurrentKernels } from '../wasm/recurrent-kernels.js';
import { backwardRows, distinctGradientRows, forwardRows, projectRows, type RecurrentDims, type RecurrentLayout, type RowRange } from '../wasm/recurrent-steps.js';
import type { MemoryInstances } from './arena.js';

/**
 * One range of a recurrence's rows, forward or backward, or of its distinct inputs' rows, to
 * project or to take W's gradient from (gradients into slot `slot`).
 */
export interface RecurrentJob {
  readonly kind: 'recurrent-projection' | 'recurrent-forward' | 'recurrent-backward' | 'recurrent-distinct-gradient';
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
  runRecurrentPart(kernels, buffer, job);
}

/** The part of a recurrence `job` names, on `kernels` over `buffer`: what every thread of a call runs, the caller's included. */
export function runRecurrentPart(kernels: RecurrentKernels, buffer: ArrayBufferLike, { kind, dims, layout, reverse, range, slot }: RecurrentJob): void {
  if (kind === 'recurrent-projection') projectRows(kernels, buffer, layout, dims, range);
  else if (kind === 'recurrent-forward') forwardRows(kernels, buffer, layout, dims, reverse, range);
  else if (kind === 'recurrent-backward') backwardRows(kernels, buffer, layout, dims, reverse, range, layout.gradients[slot]);
  else distinctGradientRows(kernels, buffer, layout, dims, range, layout.gradients[slot]);
}
