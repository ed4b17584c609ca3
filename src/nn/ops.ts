/**
 * Tensor operations that attnlab's plugins share, handed to every factory as `ctx.nn`.
 * Shapes follow the conventions of `plugin-api.ts`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../plugin-api.js';
import { attend, maskedSoftmax, tokenScores, weightedSum } from './attention.js';
import { dense, type DenseActivation } from './dense.js';
import { distinctTokens, tokenRowCache, type DistinctTokens, type TokenRowCache } from './distinct-tokens.js';
import { embed } from './embedding.js';
import { deriveSeed } from '../data/random.js';
import { createDropout, glorot, zeros } from './init.js';
import { mlp, recurrentLayers, type DenseStack, type MlpOptions, type RecurrentCell, type RecurrentLayers, type RecurrentLayersOptions } from './layers.js';
import { gru, lstm } from './recurrent.js';
import { customGradient, variable, type CustomGradientForward } from './authoring-ops.js';

export type { CustomGradientForward, DenseActivation, DenseStack, DistinctTokens, MlpOptions, RecurrentCell, RecurrentLayers, RecurrentLayersOptions };

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
  /**
   * ids [batch, time] int32, table [vocab, dim] → [batch, time, dim]. A frozen table (a plain
   * tensor or a non-trainable variable) is looked up on typed arrays, ~40× faster than
   * `tf.gather` on wasm, and stays off the gradient tape; a trainable variable gets gradients.
   */
  embed(ids: tfjs.Tensor2D, table: tfjs.Tensor2D | tfjs.Variable): tfjs.Tensor3D;
  /**
   * The distinct ids of a batch [batch, time], so that a token-wise transform runs once per
   * distinct token and attention weights pool its outputs per distinct token.
   */
  distinctTokens(ids: tfjs.Tensor2D): DistinctTokens;
  /** A cache of rows computed per token (a token-wise value transform's), reused across batches outside a gradient tape. */
  tokenRowCache(): TokenRowCache;
  /** scores [batch, time], mask [batch, time] → softmax over real tokens; exactly 0 on padding. */
  maskedSoftmax(scores: tfjs.Tensor2D, mask: tfjs.Tensor2D): tfjs.Tensor2D;
  /** weights [batch, time], values [batch, time, dim] → Σ_t weights·values: [batch, dim]. */
  weightedSum(weights: tfjs.Tensor2D, values: tfjs.Tensor3D): tfjs.Tensor2D;
  /**
   * h [batch, time, dim], query [dim] (one for all reviews) or [batch, dim] (one per review) →
   * scores [batch, time]: h[b, t]·q.
   */
  tokenScores(h: tfjs.Tensor3D, query: tfjs.Tensor1D | tfjs.Tensor2D): tfjs.Tensor2D;
  /**
   * maskedSoftmax(tokenScores(h, query), mask) as one op, which also pools Σ_t weights·h in the
   * same pass: a later weightedSum(weights, h) of these weights and the same h returns that sum,
   * and the backward reads h once instead of twice.
   */
  attend(h: tfjs.Tensor3D, query: tfjs.Tensor1D | tfjs.Tensor2D, mask: tfjs.Tensor2D): tfjs.Tensor2D;
  /**
   * activation(x [..., in] · kernel [in, out] + bias [out]) → [..., out], `linear` by default; its
   * backward avoids wasm's slow transposed matmuls, and the activation runs fused in a SIMD kernel.
   */
  dense<T extends tfjs.Tensor>(x: T, kernel: tfjs.Tensor2D, bias?: tfjs.Tensor1D, activation?: DenseActivation): T;
  /** LSTM over x [batch, time, in] (gates i, f, g, o) → states [batch, time, hidden], 0 on padding. */
  lstm(x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options?: RecurrentOptions): tfjs.Tensor3D;
  /** GRU over x [batch, time, in] (gates r, z, n; reset applied after h·U) → states [batch, time, hidden], 0 on padding. */
  gru(x: tfjs.Tensor3D, mask: tfjs.Tensor2D, weights: RecurrentWeights, options?: RecurrentOptions): tfjs.Tensor3D;
  /**
   * Dense layers of the given sizes (`sizes[0]` is the input) on the last axis, named
   * `<prefix>/dense_<k>/{kernel,bias}`: `activation` after each layer but the last.
   */
  mlp(prefix: string, sizes: readonly number[], options: MlpOptions): DenseStack;
  /** Stacked, optionally bidirectional LSTM or GRU layers, the last layer's states as output. */
  recurrentLayers(cell: RecurrentCell, options: RecurrentLayersOptions): RecurrentLayers;
  /**
   * The seed of a named part (`deriveSeed(ctx.seed, 'pooler/W')`): a hash of the seed and the
   * name, so that adding a part leaves every other part's seed as it was.
   */
  deriveSeed(seed: number, name: string): number;
  /** A trainable variable initialised Glorot-uniform from `seed`. */
  glorot(name: string, shape: readonly number[], seed: number): tfjs.Variable;
  /** A trainable variable of zeros. */
  zeros(name: string, shape: readonly number[]): tfjs.Variable;
  /**
   * Inverted dropout, identity when `rate` is 0. The n-th call with a given `seed` draws the
   * same mask in every run, and successive calls draw different masks.
   */
  dropout<T extends tfjs.Tensor>(x: T, rate: number, seed: number): T;
  /** A trainable variable holding `initialValue` (a tensor, copied, or nested numbers), e.g. a temperature starting at 1. */
  variable(name: string, initialValue: tfjs.Tensor | tfjs.TensorLike): tfjs.Variable;
  /**
   * `tf.customGrad` typed by its inputs: `forward(...inputs)` returns `{ value, gradient(dy) }`,
   * and `gradient` returns one gradient per input, in order, each of that input's shape.
   */
  customGradient<I extends readonly tfjs.Tensor[], O extends tfjs.Tensor>(forward: CustomGradientForward<I, O>): (...inputs: I) => O;
}

export interface NnOpsOptions {
  /** Maps each new variable's name to the name it gets (tests building a plugin many times make them unique). */
  readonly variableName?: (name: string) => string;
}

/** The ops on one tfjs instance (backend already selected). */
export function createNnOps(tf: Tf, options: NnOpsOptions = {}): NnOps {
  const named = options.variableName ?? ((name: string) => name);
  const nn: NnOps = {
    embed: (ids, table) => embed(tf, ids, table),
    distinctTokens: (ids) => distinctTokens(tf, ids),
    tokenRowCache: () => tokenRowCache(tf),
    maskedSoftmax: (scores, mask) => maskedSoftmax(tf, scores, mask),
    weightedSum: (weights, values) => weightedSum(tf, weights, values),
    tokenScores: (h, query) => tokenScores(tf, h, query),
    attend: (h, query, mask) => attend(tf, h, query, mask),
    dense: (x, kernel, bias, activation) => dense(tf, x, kernel, bias, activation),
    lstm: (x, mask, weights, options) => lstm(tf, x, mask, weights, options),
    gru: (x, mask, weights, options) => gru(tf, x, mask, weights, options),
    glorot: (name, shape, seed) => glorot(tf, named(name), shape, seed),
    zeros: (name, shape) => zeros(tf, named(name), shape),
    dropout: createDropout(tf),
    deriveSeed,
    mlp: (prefix, sizes, options) => mlp(nn, prefix, sizes, options),
    recurrentLayers: (cell, options) => recurrentLayers(tf, nn, cell, options),
    variable: (name, initialValue) => variable(tf, named(name), initialValue),
    customGradient: (forward) => customGradient(tf, forward),
  };
  return nn;
}
