import type { Tensor1D } from '@tensorflow/tfjs';
import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    temperature: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Scores are divided by it before the softmax.' },
  },
} as const;

/** p(a_i|t) = softmax_i(q·x_i / temperature) over the real tokens, q learned (the brief’s Q2). */
export default {
  kind: 'pooler',
  name: 'fixed-query',
  description: 'Attention with one learned query q: softmax of q·h_i over the real tokens (Q2).',
  schema,
  create(params, { tf, nn, inputDim, seed }) {
    const query = nn.glorot('pooler/query', [inputDim, 1], seed);
    return {
      variables: [query],
      attend(h, mask) {
        const scaled = tf.reshape(tf.div(query, params.temperature), [inputDim]) as Tensor1D;
        return nn.attend(h, scaled, mask);
      },
    };
  },
} satisfies PluginDescriptor<'pooler', typeof schema>;
