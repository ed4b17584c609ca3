import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { PluginDescriptor } from '../../src/plugin-api.js';

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
    return {
      variables: [...trainableEmbeddings, ...encoder.variables, ...pooler.variables, ...value.variables, ...head.variables],
      forward(ids, mask, training) {
        const h = encoder.apply(nn.embed(ids, ctx.embeddings), mask, training);
        const weights = pooler.attend(h, mask, training);
        const values = value.apply(h, training);
        if (weights.rank === 2) {
          const attention = weights as Tensor2D;
          return { logits: head.apply(nn.weightedSum(attention, values), training), attention, mask };
        }
        // Several heads: each pools the values under its own weights; the pooled vectors are concatenated.
        const headAttention = weights as Tensor3D;
        const pooled = tf.reshape(tf.matMul(headAttention, values), [values.shape[0], heads * value.outputDim]) as Tensor2D;
        return { logits: head.apply(pooled, training), attention: tf.mean(headAttention, 1) as Tensor2D, headAttention, mask };
      },
    };
  },
} satisfies PluginDescriptor<'model', typeof schema>;
