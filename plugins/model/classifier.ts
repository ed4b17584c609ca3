import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { ForwardOutput, PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    encoder: {
      'x-plugin-kind': 'encoder',
      type: 'object',
      description: 'Contextual encoder under the attention (none, lstm, gru).',
      default: { type: 'none' },
    },
    pooler: {
      'x-plugin-kind': 'pooler',
      type: 'object',
      description: 'Where to look: attention weights over the encoder outputs (mean, fixed-query, text-query).',
      default: { type: 'fixed-query' },
    },
    value: {
      'x-plugin-kind': 'value',
      type: 'object',
      description: 'Value transform v(h) averaged under the attention (identity, linear, mlp).',
      default: { type: 'identity' },
    },
    head: {
      'x-plugin-kind': 'head',
      type: 'object',
      description: 'Classifier on the pooled vector.',
      default: { type: 'linear' },
    },
  },
} as const;

/** embeddings → encoder → attention pooling of value(h) → head. */
export default {
  kind: 'model',
  name: 'classifier',
  description: 'Text classifier: embeddings → encoder → attention pooling of a value transform → head.',
  schema,
  async create(params, ctx) {
    const { tf, nn } = ctx;
    const [, embeddingDim] = ctx.embeddings.shape as [number, number];
    const encoder = await ctx.build('encoder', params.encoder, { inputDim: embeddingDim });
    const pooler = await ctx.build('pooler', params.pooler, { inputDim: encoder.outputDim });
    const value = await ctx.build('value', params.value, { inputDim: encoder.outputDim });
    const heads = pooler.heads ?? 1;
    const head = await ctx.build('head', params.head, { inputDim: heads * value.outputDim, numClasses: ctx.numClasses });
    const trainableEmbeddings = ctx.embeddings instanceof tf.Variable ? [ctx.embeddings] : [];
    /** Pools the values under the attention; several heads pool separately and are concatenated. */
    const pool = (weights: Tensor2D | Tensor3D, values: Tensor3D): Tensor2D =>
      weights.rank === 2
        ? nn.weightedSum(weights as Tensor2D, values)
        : (tf.reshape(tf.matMul(weights as Tensor3D, values), [values.shape[0], heads * value.outputDim]) as Tensor2D);
    const forwardEmbedded = (x: Tensor3D, mask: Tensor2D, training: boolean): ForwardOutput => {
      const h = encoder.apply(x, mask, training);
      const weights = pooler.attend(h, mask, training);
      const logits = head.apply(pool(weights, value.apply(h, training)), training);
      if (weights.rank === 2) return { logits, attention: weights as Tensor2D, mask };
      return { logits, attention: tf.mean(weights, 1) as Tensor2D, headAttention: weights as Tensor3D, mask };
    };
    return {
      variables: [...trainableEmbeddings, ...encoder.variables, ...pooler.variables, ...value.variables, ...head.variables],
      embed: (ids) => nn.embed(ids, ctx.embeddings),
      forwardEmbedded,
      forward: (ids, mask, training) => forwardEmbedded(nn.embed(ids, ctx.embeddings), mask, training),
      forwardWithAttention(ids, mask, attention) {
        const h = encoder.apply(nn.embed(ids, ctx.embeddings), mask, false);
        const values = value.apply(h, false);
        const weights = heads > 1 ? (tf.tile(tf.expandDims(attention, 1), [1, heads, 1]) as Tensor3D) : attention;
        return head.apply(pool(weights, values), false);
      },
    };
  },
} satisfies PluginDescriptor<'model', typeof schema>;
