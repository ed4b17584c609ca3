/**
 * Attention primitives. The softmax runs in a SIMD kernel on typed arrays: the same masked
 * softmax built from tfjs ops takes half a dozen kernel launches of 65–270 µs each on wasm,
 * forward and backward, and a loop of Math.exp ~16 ns per position.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { runCustomOp } from './custom-op.js';
import { pooledTensor, untapedMatrixRows } from './projected-pools.js';
import { RecycledFloats } from './recycled-floats.js';
import { rememberValues, valuesOf } from './values.js';
import * as kernels from './wasm/attention-kernels.js';

/** scores [batch, time], mask [batch, time] → softmax over real tokens, exactly 0 on padding. */
export function maskedSoftmax(tf: Tf, scores: tfjs.Tensor2D, mask: tfjs.Tensor2D): tfjs.Tensor2D {
  const [batch, time] = scores.shape;
  return runCustomOp(tf, { scores, mask }, () => {
    const probabilities = kernels.maskedSoftmax(valuesOf(scores), valuesOf(mask), batch, time);
    const gradient = (dy: tfjs.Tensor) => ({
      scores: () => tf.tensor2d(softmaxBackward(probabilities, valuesOf(dy), batch, time), [batch, time]),
      mask: () => tf.zeros([batch, time]),
    });
    return { value: rememberValues(tf.tensor2d(probabilities, [batch, time]), probabilities), gradient };
  });
}

/** d scores = p ⊙ (dp − Σ p·dp), row by row; zero wherever p is (padding). */
function softmaxBackward(probabilities: Float32Array, dy: ArrayLike<number>, batch: number, time: number): Float32Array {
  const grad = new Float32Array(batch * time);
  for (let row = 0; row < batch; row++) {
    const start = row * time;
    let dot = 0;
    for (let t = start; t < start + time; t++) dot += probabilities[t] * dy[t];
    for (let t = start; t < start + time; t++) grad[t] = probabilities[t] * (dy[t] - dot);
  }
  return grad;
}

/**
 * weights [batch, time], values [batch, time, dim] → Σ_t weights·values: [batch, dim]. Broadcast
 * mul + sum on wasm costs ~10 ms forward and more backward; these loops touch each value once,
 * and d values (a [batch, time, dim] tensor) is built only when something trains through them.
 */
export function weightedSum(tf: Tf, weights: tfjs.Tensor2D, values: tfjs.Tensor3D): tfjs.Tensor2D {
  const fused = attendedPools.get(weights);
  if (fused?.rows === values && !fused.pooled.isDisposed) return fused.pooled;
  const [batch, time, dim] = values.shape;
  const untapedRows = untapedMatrixRows(tf, values);
  return runCustomOp(tf, { weights, values }, () => {
    const w = valuesOf(weights);
    const v = representationsOf(values);
    const gradient = (dy: tfjs.Tensor) => ({
      weights: () => tf.tensor2d(rowDots(v, valuesOf(dy), batch, time, dim), [batch, time]),
      values: () => outerRowSums(tf, [[w, valuesOf(dy)]], batch, time, dim),
    });
    return { value: pooledTensor(tf, untapedRows, w, time, dim, () => rowWeightedSums(w, v, batch, time, dim)), gradient };
  });
}

/**
 * scores[b, t] = h[b, t]·q[b] for a query per review (q [batch, dim]) or one for all (q [dim]).
 * tfjs would run a broadcast mul and a sum, or a [batch·time, dim]×[dim, 1] matmul whose
 * gradient needs a transposed product, each ~5–30 ms on wasm for a [64, 230, 100] batch.
 */
export function tokenScores(tf: Tf, h: tfjs.Tensor3D, query: tfjs.Tensor1D | tfjs.Tensor2D): tfjs.Tensor2D {
  const [batch, time, dim] = h.shape;
  const shared = query.rank === 1;
  // Asked before the op runs: inside one, the engine's tape is paused.
  const untaped = !tf.engine().isTapeOn();
  return runCustomOp(tf, { h, query }, () => {
    const values = representationsOf(h);
    const q = valuesOf(query);
    const gradient = (dy: tfjs.Tensor) => ({
      h: () => outerRowSums(tf, [[valuesOf(dy), q]], batch, time, dim),
      query: () => {
        const perReview = rowWeightedSums(valuesOf(dy), values, batch, time, dim);
        return shared ? tf.tensor1d(sumRows(perReview, batch, dim)) : tf.tensor2d(perReview, [batch, dim]);
      },
    });
    return { value: tf.tensor2d(queryScores(untaped, values, q, batch, time, dim), [batch, time]), gradient };
  });
}

/** The Σ_t weights·h that {@link attend} computed with its weights, for {@link weightedSum} of the same rows. */
const attendedPools = new WeakMap<tfjs.Tensor, { readonly rows: tfjs.Tensor; readonly pooled: tfjs.Tensor2D }>();

/**
 * maskedSoftmax(tokenScores(h, query), mask), and with it Σ_t weights·h, which a later
 * weightedSum(weights, h) returns as is. Its backward reads h once for the query's gradient
 * (where the three ops would read it twice), from the gradients of both the weights and the
 * pooled rows; h's gradient is built only when something trains through h.
 */
export function attend(tf: Tf, h: tfjs.Tensor3D, query: tfjs.Tensor1D | tfjs.Tensor2D, mask: tfjs.Tensor2D): tfjs.Tensor2D {
  const [batch, time, dim] = h.shape;
  const shared = query.rank === 1;
  // Asked before the op runs: inside one, the engine's tape is paused.
  const untaped = !tf.engine().isTapeOn();
  const untapedRows = untapedMatrixRows(tf, h);
  const [weights, pooled] = runCustomOp(tf, { h, query, mask }, () => {
    const rows = representationsOf(h);
    const q = valuesOf(query);
    const p = kernels.maskedSoftmax(queryScores(untaped, rows, q, batch, time, dim), valuesOf(mask), batch, time);
    const pooled = pooledTensor(tf, untapedRows, p, time, dim, () => rowWeightedSums(p, rows, batch, time, dim));
    const gradient = ([dWeights, dPooled]: tfjs.Tensor[]) => {
      const dy = valuesOf(dPooled);
      // Taped, the pooled rows were computed: their values are kept.
      const backward = poolBackward(p, valuesOf(dWeights), rows, dy, valuesOf(pooled), batch, time, dim);
      return {
        h: () => outerRowSums(tf, [[p, dy], [backward.dScores, q]], batch, time, dim),
        query: () => (shared ? tf.tensor1d(sumRows(backward.dq, batch, dim)) : tf.tensor2d(backward.dq, [batch, dim])),
        mask: () => tf.zeros([batch, time]),
      };
    };
    return { value: [rememberValues(tf.tensor2d(p, [batch, time]), p), pooled], gradient };
  }) as [tfjs.Tensor2D, tfjs.Tensor2D];
  attendedPools.set(weights, { rows: h, pooled });
  return weights;
}

/**
 * d scores [batch, time] and dq [batch, dim] (the query's gradient per review) of the pool
 * Σ_t p·h with p = softmax(scores): dp reaches p directly, dy the pooled rows.
 */
function poolBackward(
  p: Float32Array, dp: Float32Array, rows: kernels.Representations, dy: Float32Array, pooled: Float32Array, batch: number, time: number, dim: number,
): { readonly dScores: Float32Array; readonly dq: Float32Array } {
  if (!kernels.fitsKernels(dim)) {
    const dScores = softmaxBackward(p, addInPlace(rowDots(rows, dy, batch, time, dim), dp), batch, time);
    return { dScores, dq: rowWeightedSums(dScores, rows, batch, time, dim) };
  }
  const { e, dq } = kernels.attentionBackward(p, dp, rows, dy, pooled, batch, time, dim);
  // d scores = p ⊙ (dw − Σ p·dw) = e − p·Σ e, with e = p ⊙ dw from the kernel.
  for (let row = 0; row < batch; row++) {
    let total = 0;
    for (let t = row * time; t < (row + 1) * time; t++) total += e[t];
    for (let t = row * time; t < (row + 1) * time; t++) e[t] -= p[t] * total;
  }
  return { dScores: e, dq };
}

function addInPlace(target: Float32Array, addend: ArrayLike<number>): Float32Array {
  for (let index = 0; index < target.length; index++) target[index] += addend[index];
  return target;
}

/** The values of a [batch, time, dim] tensor for the kernels, read only when no kernel arena holds them already. */
const representationsOf = (tensor: tfjs.Tensor): kernels.Representations => ({ key: tensor, values: () => valuesOf(tensor) });

/*
 * The row loops run in SIMD kernels when rows are whole vectors (dim a multiple of 4), in plain
 * JS otherwise. In each, u is [batch, dim], one row per review, or [dim], shared by all.
 */

/** out[b, t] = v[b, t]·u[b]: v [batch, time, dim] → [batch, time]. */
function rowDots(rows: kernels.Representations, u: Float32Array, batch: number, time: number, dim: number): Float32Array {
  if (kernels.fitsKernels(dim)) return kernels.rowDots(rows, u, batch, time, dim);
  const v = rows.values();
  const shared = u.length === dim;
  const out = new Float32Array(batch * time);
  for (let position = 0; position < batch * time; position++) {
    const base = shared ? 0 : Math.floor(position / time) * dim;
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += v[position * dim + k] * u[base + k];
    out[position] = dot;
  }
  return out;
}

/**
 * h[b, t]·q[b] (q [batch, dim]) or h[b, t]·q (q [dim]). Outside a gradient tape nothing trains, so
 * a shared query stays the same from batch to batch: over a frozen lookup, each word's score is
 * then computed once.
 */
function queryScores(untaped: boolean, rows: kernels.Representations, q: Float32Array, batch: number, time: number, dim: number): Float32Array {
  const unchanging = untaped && q.length === dim && kernels.fitsKernels(dim);
  return unchanging ? kernels.unchangingQueryDots(rows, q, batch, time, dim) : rowDots(rows, q, batch, time, dim);
}

/** The [batch, time, dim] gradients of these ops, in arrays reused once their tensors are disposed of. */
const recycledGradients = new RecycledFloats();

/** out[b, t] = Σ_k w_k[b, t]·u_k[b] (u_k [batch, dim], or [dim] shared by every row) → [batch, time, dim]. */
function outerRowSums(tf: Tf, terms: readonly (readonly [w: Float32Array, u: Float32Array])[], batch: number, time: number, dim: number): tfjs.Tensor3D {
  const out = recycledGradients.take(batch * time * dim);
  if (kernels.fitsKernels(dim)) kernels.outerRowSums(terms, batch, time, dim, out);
  else {
    terms.forEach(([w, u], index) => {
      const shared = u.length === dim;
      // Each product rounded to float32 before the sum, as the kernels round it.
      for (let position = 0; position < batch * time; position++) {
        const base = shared ? 0 : Math.floor(position / time) * dim;
        for (let k = 0; k < dim; k++) out[position * dim + k] = (index === 0 ? 0 : out[position * dim + k]) + Math.fround(w[position] * u[base + k]);
      }
    });
  }
  return recycledGradients.tensor<tfjs.Rank.R3>(tf, out, [batch, time, dim]);
}

/** out[b] = Σ_t w[b, t]·v[b, t]: w [batch, time], v [batch, time, dim] → [batch, dim]. */
function rowWeightedSums(w: Float32Array, rows: kernels.Representations, batch: number, time: number, dim: number): Float32Array {
  if (kernels.fitsKernels(dim)) return kernels.weightedRowSums(w, rows, batch, time, dim);
  const v = rows.values();
  const out = new Float32Array(batch * dim);
  for (let row = 0; row < batch; row++) {
    const accumulator = out.subarray(row * dim, (row + 1) * dim);
    for (let position = row * time; position < (row + 1) * time; position++) {
      const weight = w[position];
      // Padding has weight 0: most of a batch's tail costs nothing.
      if (weight === 0) continue;
      const base = position * dim;
      for (let k = 0; k < dim; k++) accumulator[k] += weight * v[base + k];
    }
  }
  return out;
}

function sumRows(values: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  for (let row = 0; row < rows; row++) for (let k = 0; k < dim; k++) out[k] += values[row * dim + k];
  return out;
}
