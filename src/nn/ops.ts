/**
 * Tensor operations that attnlab's plugins share, handed to every factory as `ctx.nn`.
 * Shapes follow the conventions of `plugin-api.ts`.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** Weights of one direction of one recurrent layer; gates stacked along the last axis. */
export interface RecurrentWeights {
  /** [inputDim, gates * hidden] */
  readonly kernel: tfjs.Variable;
  /** [hidden, gates * hidden] */
  readonly recurrentKernel: tfjs.Variable;
  /** [gates * hidden] */
  readonly bias: tfjs.Variable;
}

export interface RecurrentOptions {
  /** Run right-to-left over each sequence's real tokens. */
  readonly reverse?: boolean;
}

export interface NnOps {
  /** scores [batch, time], mask [batch, time] → softmax over real tokens; exactly 0 on padding. */
  maskedSoftmax(scores: tfjs.Tensor2D, mask: tfjs.Tensor2D): tfjs.Tensor2D;
  /** weights [batch, time], values [batch, time, dim] → Σ_t weights·values: [batch, dim]. */
  weightedSum(weights: tfjs.Tensor2D, values: tfjs.Tensor3D): tfjs.Tensor2D;
  /** x [..., in] · kernel [in, out] + bias [out] → [..., out]. */
  dense<T extends tfjs.Tensor>(x: T, kernel: tfjs.Tensor2D, bias?: tfjs.Tensor1D): T;
  /** LSTM over x [batch, time, in] (gates i, f, g, o) → states [batch, time, hidden], 0 on padding. */
  lstm(x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options?: RecurrentOptions): tfjs.Tensor3D;
  /** GRU over x [batch, time, in] (gates r, z, n) → states [batch, time, hidden], 0 on padding. */
  gru(x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options?: RecurrentOptions): tfjs.Tensor3D;
  /** A trainable variable initialised Glorot-uniform from `seed`. */
  glorot(name: string, shape: readonly number[], seed: number): tfjs.Variable;
  /** A trainable variable of zeros. */
  zeros(name: string, shape: readonly number[]): tfjs.Variable;
  /** Inverted dropout, identity when `rate` is 0. */
  dropout<T extends tfjs.Tensor>(x: T, rate: number, seed: number): T;
}
