import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import type { PluginDescriptor, Pooler } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    heads: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'Number of learned queries, each attending on its own.' },
    combine: {
      enum: ['concat', 'average'],
      default: 'concat',
      description: 'concat: each head pools the values and the pooled vectors are concatenated; average: one attention, the mean of the heads’.',
    },
    scaled: { type: 'boolean', default: true, description: 'Divide the scores by √dim, as in scaled dot-product attention.' },
  },
} as const;

/**
 * Multi-head attention pooling: head k scores token i with q_k·h_i (÷ √dim when scaled) and takes
 * the softmax over the real tokens. With `concat` the weights are [batch, heads, time] and the
 * model concatenates the heads' pooled values; with `average` they are averaged to [batch, time].
 */
export default {
  kind: 'pooler',
  name: 'multi-head',
  description: 'Multi-head attention pooling: h learned queries, heads concatenated or averaged.',
  schema,
  heads: (params) => (params.combine === 'concat' ? params.heads : undefined),
  create(params, { tf, nn, inputDim, seed }) {
    const queries = nn.glorot('pooler/queries', [inputDim, params.heads], seed);
    const scale = params.scaled ? 1 / Math.sqrt(inputDim) : 1;
    const attendPerHead = (h: Tensor3D, mask: Tensor2D): Tensor3D => {
      const [batch, time] = mask.shape;
      const scores = tf.transpose(tf.mul(nn.dense(h, queries as Tensor2D), scale), [0, 2, 1]);
      // Every head shares its text's mask, so the heads are softmaxed as batch × heads rows.
      const headMask = tf.reshape(tf.tile(tf.expandDims(mask, 1), [1, params.heads, 1]), [batch * params.heads, time]) as Tensor2D;
      const weights = nn.maskedSoftmax(tf.reshape(scores, [batch * params.heads, time]) as Tensor2D, headMask);
      return tf.reshape(weights, [batch, params.heads, time]);
    };
    const pooler: Pooler =
      params.combine === 'concat'
        ? { variables: [queries], heads: params.heads, attend: attendPerHead }
        : { variables: [queries], attend: (h, mask) => tf.mean(attendPerHead(h, mask), 1) as Tensor2D };
    return pooler;
  },
} satisfies PluginDescriptor<'pooler', typeof schema>;
