import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { ForwardOutput, PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    encoder: {
      'x-plugin-kind': 'encoder',
      type: 'object',
      description: 'Contextual encoder under the attention (`attnlab plugins encoder` lists them).',
      default: { type: 'none' },
    },
    pooler: {
      'x-plugin-kind': 'pooler',
      type: 'object',
      description: 'Where to look: attention weights over the encoder outputs (`attnlab plugins pooler` lists them).',
      default: { type: 'fixed-query' },
    },
    value: {
      'x-plugin-kind': 'value',
      type: 'object',
      description: 'Value transform v(h) averaged under the attention (`attnlab plugins value` lists them).',
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
    /**
     * Over a token-wise encoder, a value transform with parameters runs once per distinct token of
     * the batch, and each position's weight pools its token's row.
     */
    const poolDistinct = (ids: Tensor2D, weights: Tensor2D | Tensor3D, training: boolean): Tensor2D => {
      const tokens = nn.distinctTokens(ids);
      const values = training ? tokenValues(tokens.ids, training) : valueRows.rows(tokens, valueInputs, (distinctIds) => tokenValues(distinctIds, false));
      const pooled = tokens.pool(weights, values);
      // One head's pool is [batch, dim] already: a reshape would make its values, which the head may not need (see nn.dense).
      return weights.rank === 2 ? (pooled as Tensor2D) : (tf.reshape(pooled, [ids.shape[0], heads * value.outputDim]) as Tensor2D);
    };
    /** ids [1, n] → the value of each token on its own, [n, value dim]. */
    const tokenValues = (ids: Tensor2D, training: boolean): Tensor2D => {
      const count = ids.shape[1];
      const values = value.apply(encoder.apply(nn.embed(ids, ctx.embeddings), tf.ones([1, count]), training), training);
      return tf.reshape(values, [count, value.outputDim]) as Tensor2D;
    };
    /** Scoring with unchanged weights computes each word's value once; what the values depend on. */
    const valueRows = nn.tokenRowCache();
    const valueInputs = [ctx.embeddings, ...encoder.variables, ...value.variables];
    const poolsDistinct = encoder.tokenwise === true && value.variables.length > 0;
    const output = (logits: Tensor2D, weights: Tensor2D | Tensor3D, mask: Tensor2D): ForwardOutput =>
      weights.rank === 2
        ? { logits, attention: weights as Tensor2D, mask }
        : { logits, attention: tf.mean(weights, 1) as Tensor2D, headAttention: weights as Tensor3D, mask };
    return {
      variables: [...trainableEmbeddings, ...encoder.variables, ...pooler.variables, ...value.variables, ...head.variables],
      forward(ids, mask, training) {
        const h = encoder.apply(nn.embed(ids, ctx.embeddings), mask, training);
        const weights = pooler.attend(h, mask, training);
        const pooled = poolsDistinct ? poolDistinct(ids, weights, training) : pool(weights, value.apply(h, training));
        return output(head.apply(pooled, training), weights, mask);
      },
    };
  },
} satisfies PluginDescriptor<'model', typeof schema>;
