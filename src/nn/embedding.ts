/**
 * Embedding lookup on typed arrays. tfjs `gather` of 64×230 rows from a [20000, 100] matrix
 * takes ~60–120 ms on wasm, and its gradient needs `UnsortedSegmentSum`, which the wasm backend
 * does not implement. A frozen table is copied once into a kernel arena, which gathers a batch's
 * rows into one of its slots in a few ms when a kernel first reads them. The tensor the
 * lookup returns computes its values only when an op outside the kernels reads them (see
 * `lazy-tensor.ts`). A trainable table's rows are copied in JS, and its gradient is a scatter-add
 * of the rows' gradients.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { lazyTensor } from './lazy-tensor.js';
import { recordMatrixRows } from './projected-pools.js';
import { idsOf, valuesOf } from './values.js';
import { KernelArena } from './wasm/attention-kernels.js';

/** Frozen tables already copied into a kernel arena, so that each is read once per run. */
const frozenTables = new WeakMap<tfjs.Tensor, KernelArena>();

/** A frozen table's lookup: the ids it read and the table, which ops reading it may work from. */
export interface FrozenLookup {
  readonly ids: Int32Array;
  /** [vocab, dim] */
  readonly table: tfjs.Tensor;
  readonly dim: number;
}

/** By the exact tensor `embed` returned: any op applied to it makes another tensor, which is no lookup. */
const frozenLookups = new WeakMap<tfjs.Tensor, FrozenLookup>();

/** The lookup `x` is the output of, when it is a frozen table's (a recurrent layer projects its distinct rows only). */
export function frozenLookupOf(x: tfjs.Tensor): FrozenLookup | undefined {
  return frozenLookups.get(x);
}

/** ids [batch, time] int32, table [vocab, dim] → [batch, time, dim]; trainable tables get gradients. */
export function embed(tf: Tf, ids: tfjs.Tensor2D, table: tfjs.Tensor2D | tfjs.Variable): tfjs.Tensor3D {
  const [batch, time] = ids.shape;
  const [vocab, dim] = table.shape;
  const trainable = table instanceof tf.Variable && table.trainable;
  if (!trainable) {
    const indices = idsOf(ids);
    // The tensor's own values are made only if an op outside the kernels reads them.
    const arena = tableArena(table, dim);
    const x: tfjs.Tensor3D = lazyTensor<tfjs.Rank.R3>(tf, [batch, time, dim], (): Float32Array => arena.lookupValues(x, indices.length * dim));
    arena.lookUp(indices, x);
    frozenLookups.set(x, { ids: indices, table, dim });
    return recordMatrixRows(x, arena, indices);
  }
  return runCustomOp(tf, { table, ids }, () => {
    const indices = ids.dataSync();
    const gradient = (dy: tfjs.Tensor) => ({
      table: () => tf.tensor2d(scatterAddRows(dy.dataSync(), indices, vocab, dim), [vocab, dim]),
      ids: () => tf.zeros([batch, time]),
    });
    return { value: tf.tensor3d(gatherRows(table.dataSync() as Float32Array, indices, dim), [batch, time, dim]), gradient };
  });
}

/** Rows `indices` of `table` [vocab, dim], into `out` (rows `stride` floats apart) or a fresh [indices, dim] array. */
export function gatherRows(table: Float32Array, indices: ArrayLike<number>, dim: number, out: Float32Array = new Float32Array(indices.length * dim), stride = dim): Float32Array {
  for (let position = 0; position < indices.length; position++) {
    const row = indices[position] * dim;
    out.set(table.subarray(row, row + dim), position * stride);
  }
  return out;
}

function scatterAddRows(rowGradients: ArrayLike<number>, indices: ArrayLike<number>, vocab: number, dim: number): Float32Array {
  const grad = new Float32Array(vocab * dim);
  for (let position = 0; position < indices.length; position++) {
    const row = indices[position] * dim;
    for (let k = 0; k < dim; k++) grad[row + k] += rowGradients[position * dim + k];
  }
  return grad;
}

function tableArena(table: tfjs.Tensor, dim: number): KernelArena {
  let arena = frozenTables.get(table);
  if (arena === undefined) {
    arena = new KernelArena({ values: valuesOf(table), dim });
    frozenTables.set(table, arena);
  }
  return arena;
}
