/**
 * A batch of 64 reviews uses each of its words ~4 times over. A token-wise transform of the
 * embeddings (a value transform over no encoder) is then cheaper computed once per distinct token,
 * and pooling under the attention becomes weights summed per distinct token times a small matrix:
 * Σ_t w[b,t]·v(x[b,t]) = Σ_u (Σ_{t: id[b,t]=u} w[b,t])·v(x_u).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { lazyTensor } from './lazy-tensor.js';
import { pooledTensor, recordMatrixRows, sameFloats, untapedMatrixRows, type RowMatrix } from './projected-pools.js';
import { idsOf, valuesOf } from './values.js';
import * as kernels from './wasm/attention-kernels.js';

export interface DistinctTokens {
  /** [1, distinct] int32: each id of the batch once, in order of first sight. */
  readonly ids: tfjs.Tensor2D;
  /**
   * weights [batch, time] or [batch, heads, time] → the same summed over the positions of each
   * distinct id: [batch, distinct] or [batch, heads, distinct]. Differentiable.
   */
  sumByToken<T extends tfjs.Tensor2D | tfjs.Tensor3D>(weights: T): T;
  /**
   * Σ_t weights[b, (h,) t]·values[token at (b, t)]: weights [batch, time] or [batch, heads, time],
   * values [distinct, dim] (a row per distinct token, in the order of `ids`) → [batch, dim] or
   * [batch, heads, dim]. The same as `dense(sumByToken(weights), values)`, without the mostly
   * zero [batch, distinct] matrix: ~15 k multiply-adds of rows per batch of 64 reviews instead of
   * 64 × ~2,700. Differentiable in both.
   */
  pool<T extends tfjs.Tensor2D | tfjs.Tensor3D>(weights: T, values: tfjs.Tensor2D): T;
}

export function distinctTokens(tf: Tf, ids: tfjs.Tensor2D): DistinctTokens {
  const [, time] = ids.shape;
  const { distinct, slots } = distinctIds(idsOf(ids));
  return {
    ids: tf.tensor2d(distinct, [1, distinct.length], 'int32'),
    sumByToken: <T extends tfjs.Tensor2D | tfjs.Tensor3D>(weights: T): T =>
      runCustomOp(tf, { weights }, () => {
        const shape: number[] = [...weights.shape.slice(0, -1), distinct.length];
        const gradient = (dy: tfjs.Tensor) => ({
          weights: () => tf.tensor(gatherBySlot(dy.dataSync() as Float32Array, slots, time, distinct.length), weights.shape),
        });
        const sums = tf.tensor(sumBySlot(weights.dataSync() as Float32Array, slots, time, distinct.length), shape) as tfjs.Tensor;
        return { value: sums as T, gradient };
      }),
    pool: (weights, values) => poolBySlot(tf, weights, values, slots),
  };
}

/**
 * {@link DistinctTokens.pool} for `slots` [batch·time], each position's row of `values`
 * (`slots[p] = p` when every position is a token of its own).
 */
export function poolBySlot<T extends tfjs.Tensor2D | tfjs.Tensor3D>(tf: Tf, weights: T, values: tfjs.Tensor2D, slots: Int32Array): T {
  const time = weights.shape[weights.rank - 1];
  const rows = weights.size / time;
  const [distinct, dim] = values.shape;
  const rowSlots = slotsPerRow(slots, rows, time);
  const untapedRows = weights.rank === 2 ? untapedMatrixRows(tf, values) : undefined;
  return runCustomOp(tf, { weights, values }, () => {
    const w = valuesOf(weights);
    const v: kernels.Representations = { key: values, values: () => valuesOf(values) };
    const gradient = (dy: tfjs.Tensor) => ({
      weights: () => tf.tensor(slotRowDots(v, rowSlots, valuesOf(dy), rows, time, dim), weights.shape),
      values: () => tf.tensor2d(scatterSlotRows(w, valuesOf(dy), rowSlots, distinct, rows, time, dim), [distinct, dim]),
    });
    const pool = () => weightedSlotRows(w, v, rowSlots, rows, time, dim);
    if (untapedRows === undefined) return { value: tf.tensor<tfjs.Rank>(pool(), [...weights.shape.slice(0, -1), dim]) as T, gradient };
    // Values that are rows of a matrix: each position's row of it, for an affine layer that works from them.
    const indices = new Int32Array(rowSlots.length);
    for (let position = 0; position < indices.length; position++) indices[position] = untapedRows.indices[rowSlots[position]];
    return { value: pooledTensor(tf, { matrix: untapedRows.matrix, indices }, w, time, dim, pool) as tfjs.Tensor as T, gradient };
  });
}

/** Each row's slots: a review's heads share its positions' slots. */
function slotsPerRow(slots: Int32Array, rows: number, time: number): Int32Array {
  const rowsPerReview = rows / (slots.length / time);
  if (rowsPerReview === 1) return slots;
  const expanded = new Int32Array(rows * time);
  for (let row = 0; row < rows; row++) expanded.set(slots.subarray(Math.floor(row / rowsPerReview) * time, (Math.floor(row / rowsPerReview) + 1) * time), row * time);
  return expanded;
}

/*
 * The slot loops run in SIMD kernels when rows are whole vectors (dim a multiple of 4), in plain
 * JS otherwise.
 */

function weightedSlotRows(w: Float32Array, v: kernels.Representations, slots: Int32Array, rows: number, time: number, dim: number): Float32Array {
  if (kernels.fitsKernels(dim)) return kernels.weightedSlotRows(w, v, slots, rows, time, dim);
  const values = v.values();
  const out = new Float32Array(rows * dim);
  for (let position = 0; position < rows * time; position++) {
    const [row, weight] = [Math.floor(position / time) * dim, w[position]];
    for (let k = 0; k < dim; k++) out[row + k] += weight * values[slots[position] * dim + k];
  }
  return out;
}

function slotRowDots(v: kernels.Representations, slots: Int32Array, u: Float32Array, rows: number, time: number, dim: number): Float32Array {
  if (kernels.fitsKernels(dim)) return kernels.slotRowDots(v, slots, u, rows, time, dim);
  const values = v.values();
  const out = new Float32Array(rows * time);
  for (let position = 0; position < rows * time; position++) {
    const row = Math.floor(position / time) * dim;
    for (let k = 0; k < dim; k++) out[position] += values[slots[position] * dim + k] * u[row + k];
  }
  return out;
}

function scatterSlotRows(w: Float32Array, dy: Float32Array, slots: Int32Array, distinct: number, rows: number, time: number, dim: number): Float32Array {
  if (kernels.fitsKernels(dim)) return kernels.scatterSlotRows(w, dy, slots, distinct, rows, time, dim);
  const out = new Float32Array(distinct * dim);
  for (let position = 0; position < rows * time; position++) {
    const row = Math.floor(position / time) * dim;
    for (let k = 0; k < dim; k++) out[slots[position] * dim + k] += w[position] * dy[row + k];
  }
  return out;
}

/** Rows computed per token, kept while what they depend on is unchanged. */
export interface TokenRowCache {
  /**
   * transform(ids [1, n]) → [n, dim] for the distinct tokens of `tokens`: rows [distinct, dim].
   * Outside a gradient tape, a token's row computed while `dependsOn` held the same data (no
   * variable assigned since) is reused, so that scoring computes each word of the vocabulary
   * once per pass instead of once per batch it occurs in. `transform` must be deterministic.
   */
  rows(tokens: DistinctTokens, dependsOn: readonly tfjs.Tensor[], transform: (ids: tfjs.Tensor2D) => tfjs.Tensor2D): tfjs.Tensor2D;
}

export function tokenRowCache(tf: Tf): TokenRowCache {
  const known = new KnownTokenRows();
  return {
    rows(tokens, dependsOn, transform) {
      if (tf.engine().isTapeOn()) return transform(tokens.ids);
      const ids = idsOf(tokens.ids);
      const missing = known.missing(ids, dependsOn.map((tensor) => tensor.dataId));
      if (missing === undefined) {
        const rows = transform(tokens.ids);
        known.add(ids, valuesOf(rows), rows.shape[1]);
        return recordMatrixRows(rows, known, ids);
      }
      if (missing.length > 0) {
        const computed = tf.tidy(() => transform(tf.tensor2d(missing, [1, missing.length], 'int32')));
        known.add(missing, computed.dataSync() as Float32Array, computed.shape[1]);
        computed.dispose();
      }
      // Copied out only if something reads them: pooled under an affine layer, they are projected instead.
      const rows = lazyTensor<tfjs.Rank.R2>(tf, [ids.length, known.dim], () => {
        const out = new Float32Array(ids.length * known.dim);
        known.copyRows(ids, out);
        return out;
      });
      return recordMatrixRows(rows, known, ids);
    },
  };
}

/**
 * Rows computed per token id (`dim` floats each) from data that has not changed since: the data
 * `dependsOn` named when they were added. Rows are kept only for data two calls in a row depend
 * on, so that passes whose weights change in between (training steps) pay nothing for them.
 */
export class KnownTokenRows implements RowMatrix {
  private dependsOn: readonly tfjs.DataId[] = [];
  private rows = new Float32Array(0);
  private known = new Uint8Array(0);
  /** The known rows times the kernel {@link projected} was last asked for, at the ids `done` marks. */
  private projection: { readonly kernel: Float32Array; readonly values: Float32Array; readonly done: Uint8Array } | undefined;
  /** Floats per row; 0 until rows are added. */
  dim = 0;

  /**
   * The ids of `ids` without a row computed from `dependsOn`'s data, each once, in order of first
   * sight; undefined when the previous call depended on other data, whose rows are then forgotten.
   */
  missing(ids: Int32Array, dependsOn: readonly tfjs.DataId[]): Int32Array | undefined {
    if (dependsOn.length !== this.dependsOn.length || dependsOn.some((dataId, index) => dataId !== this.dependsOn[index])) {
      this.dependsOn = dependsOn;
      this.known.fill(0);
      this.projection = undefined;
      return undefined;
    }
    const { known } = this;
    return distinctIds(ids.filter((id) => id >= known.length || known[id] === 0)).distinct;
  }

  /** Records `rows` [ids.length, dim], the rows of distinct `ids` computed from the data the last {@link missing} named. */
  add(ids: Int32Array, rows: Float32Array, dim: number): void {
    if (dim !== this.dim) Object.assign(this, { dim, rows: new Float32Array(0), known: new Uint8Array(0) });
    const highest = ids.reduce((top, id) => Math.max(top, id), 0);
    if (highest >= this.known.length) {
      const capacity = Math.max(highest + 1, 2 * this.known.length);
      const [grown, known] = [new Float32Array(capacity * dim), new Uint8Array(capacity)];
      grown.set(this.rows);
      known.set(this.known);
      Object.assign(this, { rows: grown, known, projection: undefined });
    }
    ids.forEach((id, index) => {
      this.rows.set(rows.subarray(index * dim, (index + 1) * dim), id * dim);
      this.known[id] = 1;
    });
  }

  /**
   * The rows times `kernel` [dim, units] at the known ids `indices` names (see {@link RowMatrix}),
   * each id's computed once while the kernel and the rows stay the same.
   */
  projected(kernel: Float32Array, units: number, indices: Int32Array): Float32Array {
    const { dim, rows } = this;
    if (this.projection === undefined || !sameFloats(this.projection.kernel, kernel)) {
      this.projection = { kernel: kernel.slice(), values: new Float32Array(this.known.length * units), done: new Uint8Array(this.known.length) };
    }
    const { values, done } = this.projection;
    for (const id of indices) {
      if (done[id] === 1) continue;
      for (let unit = 0; unit < units; unit++) {
        let sum = 0;
        for (let k = 0; k < dim; k++) sum += rows[id * dim + k] * kernel[k * units + unit];
        values[id * units + unit] = sum;
      }
      done[id] = 1;
    }
    return values;
  }

  /** Writes the rows of `ids`, all known, one after the other into `target`. */
  copyRows(ids: Int32Array, target: Float32Array): void {
    const { dim, rows } = this;
    for (let index = 0; index < ids.length; index++) target.set(rows.subarray(ids[index] * dim, (ids[index] + 1) * dim), index * dim);
  }
}

/**
 * Per id (offset by the smallest id seen): the call that last saw it, and its slot in that call.
 * Reused across calls, so that finding a batch's distinct ids is two array reads per position
 * rather than a hash-map lookup (~0.1 ms against ~1.5 ms for 64 reviews).
 */
const seen = { callOf: new Int32Array(0), slotOf: new Int32Array(0), call: 0 };

/** The distinct values of `ids` in order of first sight, and the slot of each position's value among them. */
export function distinctIds(ids: Int32Array): { distinct: Int32Array; slots: Int32Array } {
  let lowest = 0;
  let highest = 0;
  for (let position = 0; position < ids.length; position++) {
    if (ids[position] < lowest) lowest = ids[position];
    else if (ids[position] > highest) highest = ids[position];
  }
  if (highest - lowest + 1 > seen.callOf.length || seen.call === 0x7fffffff) Object.assign(seen, { callOf: new Int32Array(highest - lowest + 1), slotOf: new Int32Array(highest - lowest + 1), call: 0 });
  const call = ++seen.call;
  const slots = new Int32Array(ids.length);
  const distinct = new Int32Array(ids.length);
  let count = 0;
  for (let position = 0; position < ids.length; position++) {
    const index = ids[position] - lowest;
    if (seen.callOf[index] !== call) {
      seen.callOf[index] = call;
      seen.slotOf[index] = count;
      distinct[count++] = ids[position];
    }
    slots[position] = seen.slotOf[index];
  }
  return { distinct: distinct.slice(0, count), slots };
}

/** Rows of `time` weights (a review's, or one head's of a review) → rows of `distinct` sums. */
function sumBySlot(weights: Float32Array, slots: Int32Array, time: number, distinct: number): Float32Array {
  const sums = new Float32Array((weights.length / time) * distinct);
  forEachPosition(weights.length / time, slots, time, distinct, (position, summed) => (sums[summed] += weights[position]));
  return sums;
}

/** The gradient of {@link sumBySlot}: each position receives its slot's gradient. */
function gatherBySlot(sumGradients: Float32Array, slots: Int32Array, time: number, distinct: number): Float32Array {
  const rows = sumGradients.length / distinct;
  const gradients = new Float32Array(rows * time);
  forEachPosition(rows, slots, time, distinct, (position, summed) => (gradients[position] = sumGradients[summed]));
  return gradients;
}

/**
 * Visits every position of `rows` rows of `time` with the index of its sum among rows of
 * `distinct`. Row r belongs to review r / (rows per review), whose positions `slots` maps.
 */
function forEachPosition(rows: number, slots: Int32Array, time: number, distinct: number, visit: (position: number, summed: number) => void): void {
  const rowsPerReview = rows / (slots.length / time);
  for (let row = 0; row < rows; row++) {
    const review = Math.floor(row / rowsPerReview) * time;
    for (let t = 0; t < time; t++) visit(row * time + t, row * distinct + slots[review + t]);
  }
}
