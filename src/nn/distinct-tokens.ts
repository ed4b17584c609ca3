/**
 * A batch of 64 reviews uses each of its words ~4 times over. A token-wise transform of the
 * embeddings (a value transform over no encoder) is then cheaper computed once per distinct token,
 * and pooling under the attention becomes weights summed per distinct token times a small matrix:
 * Σ_t w[b,t]·v(x[b,t]) = Σ_u (Σ_{t: id[b,t]=u} w[b,t])·v(x_u).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { idsOf } from './values.js';

export interface DistinctTokens {
  /** [1, distinct] int32: each id of the batch once, in order of first sight. */
  readonly ids: tfjs.Tensor2D;
  /**
   * weights [batch, time] or [batch, heads, time] → the same summed over the positions of each
   * distinct id: [batch, distinct] or [batch, heads, distinct]. Differentiable.
   */
  sumByToken<T extends tfjs.Tensor2D | tfjs.Tensor3D>(weights: T): T;
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
  };
}

/** The distinct values of `ids` in order of first sight, and the slot of each position's value among them. */
export function distinctIds(ids: Int32Array): { distinct: Int32Array; slots: Int32Array } {
  const slotOf = new Map<number, number>();
  const slots = new Int32Array(ids.length);
  const distinct: number[] = [];
  for (let position = 0; position < ids.length; position++) {
    let slot = slotOf.get(ids[position]);
    if (slot === undefined) {
      slot = distinct.push(ids[position]) - 1;
      slotOf.set(ids[position], slot);
    }
    slots[position] = slot;
  }
  return { distinct: Int32Array.from(distinct), slots };
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
