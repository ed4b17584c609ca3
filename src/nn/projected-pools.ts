/**
 * Scoring a model whose pooled vector goes straight into an affine layer with few outputs (a
 * linear classifier, 100 → 2) need not make the pooled vector: with the rows pooled taken from a
 * matrix M that stays the same from batch to batch (a frozen table, value rows kept per word),
 * (Σ_t w_t·M[i_t])·K = Σ_t w_t·(M[i_t]·K), and M·K is computed once per kernel. Each position
 * then reads `units` floats of a matrix that fits the processor caches instead of `dim` floats of
 * the table: the weighted sum was the largest part of q2's scoring pass (~130 ms of ~420 ms over
 * the 25,000 test reviews), and q3 copied its kept value rows out per batch (~0.5 s of ~1.6 s).
 * The floats differ from the pooled path's in the last digits: the sums are made in another order.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { lazyTensor } from './lazy-tensor.js';
import { isScoring } from './scoring-pass.js';
import { rememberValues, valuesOf } from './values.js';

/** A matrix [rows, dim] whose rows some tensors' values are. */
export interface RowMatrix {
  /** The matrix times `kernel` [dim, units], row-major [rows, units], right at least at the rows `indices` names. */
  projected(kernel: Float32Array, units: number, indices: Int32Array): Float32Array;
}

/** Rows of a matrix: values[p, :] = matrix[indices[p], :]. */
export interface MatrixRows {
  readonly matrix: RowMatrix;
  readonly indices: Int32Array;
}

const rowsOf = new WeakMap<tfjs.DataId, MatrixRows>();

/** Records that `tensor`'s values (rows of `dim` floats) are rows `indices` of `matrix`. */
export function recordMatrixRows<T extends tfjs.Tensor>(tensor: T, matrix: RowMatrix, indices: Int32Array): T {
  rowsOf.set(tensor.dataId, { matrix, indices });
  return tensor;
}

/**
 * The matrix rows `tensor` is, when recorded and no gradient tape runs: the only case where an
 * affine layer after their pool may work from them. Asked before a custom op runs: inside one,
 * the engine reports its tape as off.
 */
export const untapedMatrixRows = (tf: Tf, tensor: tfjs.Tensor): MatrixRows | undefined => (tf.engine().isTapeOn() ? undefined : rowsOf.get(tensor.dataId));

/** Σ_t weights[r, t]·matrix[indices[r, t]] over [rows, time] positions, without its values yet. */
interface PooledRows {
  readonly rows: MatrixRows;
  readonly weights: Float32Array;
  readonly time: number;
  readonly dim: number;
}

const pools = new WeakMap<tfjs.DataId, PooledRows>();

/**
 * The pool [weights' rows, dim] under `weights` [rows, time], the sums `compute` makes. Over
 * `rows` (indices per position, from {@link untapedMatrixRows}) its values are made only if
 * something reads them: {@link projectedPool} works from the rows instead.
 */
export function pooledTensor(tf: Tf, rows: MatrixRows | undefined, weights: Float32Array, time: number, dim: number, compute: () => Float32Array): tfjs.Tensor2D {
  const shape: [number, number] = [weights.length / time, dim];
  if (rows === undefined) {
    const sums = compute();
    return rememberValues(tf.tensor2d(sums, shape), sums);
  }
  const pooled = lazyTensor<tfjs.Rank.R2>(tf, shape, compute);
  pools.set(pooled.dataId, { rows, weights, time, dim });
  return pooled;
}

/** Projecting pays when it shrinks the rows at least this many times. */
const LEAST_SHRINK = 4;

/**
 * x·kernel + bias [rows, units] for x a lazy {@link pooledTensor} while scoring, from the
 * projected rows; undefined outside a scoring pass, for any other x and for a kernel too wide to
 * pay. The kernel's and bias's values are read only then. Only a scoring pass projects, and
 * from its first batch: every batch of it then takes the same path, so its floats do not depend
 * on how the pass was cut into batches. A forward pass on its own (`predict`, a benchmark's)
 * keeps the pooled path and pays no projection of the table.
 */
export function projectedPool(x: tfjs.Tensor, kernel: tfjs.Tensor2D, bias?: tfjs.Tensor1D): Float32Array | undefined {
  const pool = pools.get(x.dataId);
  const units = kernel.shape[1];
  if (!isScoring() || pool === undefined || units * LEAST_SHRINK > pool.dim) return undefined;
  const { weights, time, rows } = pool;
  const projection = rows.matrix.projected(valuesOf(kernel), units, rows.indices);
  const offsets = bias === undefined ? undefined : valuesOf(bias);
  const count = weights.length / time;
  const out = new Float32Array(count * units);
  const sums = new Float64Array(units);
  for (let row = 0; row < count; row++) {
    sums.fill(0);
    for (let position = row * time; position < (row + 1) * time; position++) {
      const weight = weights[position];
      // Padding has weight 0: most of a batch's tail costs nothing.
      if (weight === 0) continue;
      const base = rows.indices[position] * units;
      for (let unit = 0; unit < units; unit++) sums[unit] += weight * projection[base + unit];
    }
    for (let unit = 0; unit < units; unit++) out[row * units + unit] = sums[unit] + (offsets?.[unit] ?? 0);
  }
  return out;
}

/** Whether `a` and `b` hold the same floats (a kernel or a query asked for again). */
export function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((value, index) => Object.is(value, b[index]));
}
