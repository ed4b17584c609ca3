/**
 * What the analyses need from a model beyond `forward`, taken at the core's side of the plugin
 * boundary so that a model plugin implements `forward` only: the model is built with `ctx.nn`
 * ops whose `embed` and `distinctTokens` the probe can arm, and its pooler is wrapped so that
 * its attention can be replaced.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { AttnlabError } from '../errors.js';
import { poolBySlot } from '../nn/distinct-tokens.js';
import type { ForwardOutput, NnOps, Pooler, Tf } from '../plugin-api.js';
import type { CreatedWrapper } from '../plugins/container.js';

export interface ModelProbe {
  /** The ops to build the model with. */
  readonly nn: NnOps;
  /** What to build the model with around each component: poolers get their attention replaceable by {@link ModelProbe.withAttention}. */
  readonly wrap: CreatedWrapper;
  /**
   * Runs `forward` on `ids` [batch, time] and returns its output, the model's input vectors x
   * [batch, time, dim] (the embeddings of `ids`) and d objective(output, ·)/dx: the gradient
   * through every path on which the model embeds the tokens. `objective` receives the output
   * without gradient first (to choose, say, the predicted class), then the one on the tape.
   */
  inputGradient(ids: tfjs.Tensor2D, forward: () => ForwardOutput, objective: (output: ForwardOutput, taped: ForwardOutput) => tfjs.Scalar): InputGradient;
  /** What `forward` returns while every pooler's attention is `attention` [batch, time] (for each head). */
  withAttention<T>(attention: tfjs.Tensor2D, forward: () => T): T;
}

export interface InputGradient {
  readonly output: ForwardOutput;
  readonly input: tfjs.Tensor3D;
  readonly gradient: tfjs.Tensor3D;
}

export function createModelProbe(tf: Tf, nn: NnOps): ModelProbe {
  /**
   * While a gradient is taken: the batch's position count, the zero offset added to each
   * position's embedding (whose gradient is the input gradient) and the embeddings seen.
   */
  let armed: { positions: number; offsets?: tfjs.Tensor3D; inputs: tfjs.Tensor3D[] } | undefined;
  let attention: { weights: tfjs.Tensor2D; used: boolean } | undefined;
  const replaceable = (pooler: Pooler): Pooler =>
    new Proxy(pooler, {
      get(object, key, receiver) {
        if (key !== 'attend') return Reflect.get(object, key, receiver);
        return (h: tfjs.Tensor3D, mask: tfjs.Tensor2D, training: boolean) => {
          if (!attention) return object.attend(h, mask, training);
          attention.used = true;
          const heads = object.heads ?? 1;
          return heads > 1 ? tf.tile(tf.expandDims(attention.weights, 1), [1, heads, 1]) : attention.weights;
        };
      },
    });
  const probed: NnOps = {
    ...nn,
    embed(ids, table) {
      const x = nn.embed(ids, table);
      if (!armed || ids.size !== armed.positions) return x;
      armed.inputs.push(x);
      return armed.offsets ? (tf.add(x, tf.reshape(armed.offsets, x.shape)) as tfjs.Tensor3D) : x;
    },
    // Pooling per distinct token shares one embedding among a word's positions, so that no
    // position's gradient could be told apart: while armed, every position is its own token.
    distinctTokens: (ids) => (armed ? positionsAsTokens(tf, ids) : nn.distinctTokens(ids)),
  };
  return {
    nn: probed,
    wrap: (kind, created) => (kind === 'pooler' ? (replaceable(created as Pooler) as typeof created) : created),
    inputGradient(ids, forward, objective) {
      const [batch, time] = ids.shape;
      let inputs: tfjs.Tensor3D[] = [];
      const run = (offsets?: tfjs.Tensor3D): ForwardOutput => {
        armed = { positions: batch * time, offsets, inputs: [] };
        try {
          return forward();
        } finally {
          inputs = armed.inputs;
          armed = undefined;
        }
      };
      const output = run();
      const [embedded] = inputs;
      if (!embedded) throw new AttnlabError('model-not-probed', 'the model did not embed its token ids with ctx.nn.embed, so gradient × input cannot be measured; embed them with ctx.nn.embed(ids, ctx.embeddings).');
      const input = tf.reshape(embedded, [batch, time, embedded.shape[2]]) as tfjs.Tensor3D;
      const gradient = tf.grad((offsets) => objective(output, run(offsets as tfjs.Tensor3D)))(tf.zerosLike(input)) as tfjs.Tensor3D;
      return { output, input, gradient };
    },
    withAttention(weights, forward) {
      attention = { weights, used: false };
      try {
        const result = forward();
        if (!attention.used) throw new AttnlabError('model-not-probed', 'the model has no pooler built with ctx.build, so its attention cannot be replaced for the permutation test; build its pooler with ctx.build(\'pooler\', params.pooler, …).');
        return result;
      } finally {
        attention = undefined;
      }
    },
  };
}

/** `distinctTokens` with each position of `ids` [batch, time] a token of its own (ids [1, batch·time]). */
function positionsAsTokens(tf: Tf, ids: tfjs.Tensor2D): ReturnType<NnOps['distinctTokens']> {
  const [batch, time] = ids.shape;
  const rows = tf.eye(batch);
  return {
    ids: tf.reshape(ids, [1, batch * time]),
    // w [batch, (heads,) time] → [batch, (heads,) batch·time], w[b] in the b-th block, zeros elsewhere.
    sumByToken: <T extends tfjs.Tensor2D | tfjs.Tensor3D>(weights: T): T => {
      const spread = weights.rank === 2
        ? tf.mul(tf.expandDims(weights, 1), tf.expandDims(rows, 2))
        : tf.mul(tf.expandDims(weights, 2), tf.reshape(rows, [batch, 1, batch, 1]));
      const shape: number[] = [...weights.shape.slice(0, -1), batch * time];
      return tf.reshape<tfjs.Rank>(spread, shape) as T;
    },
    pool: (weights, values) => poolBySlot(tf, weights, values, Int32Array.from({ length: batch * time }, (_, position) => position)),
  };
}
