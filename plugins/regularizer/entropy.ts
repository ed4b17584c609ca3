import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    weight: { type: 'number', default: 0.01, description: 'Adds weight × mean attention entropy to the loss; > 0 focuses the attention, < 0 spreads it.' },
  },
} as const;

/** Mean over the batch of H(p) = -Σ_i p_i log p_i, padded positions (p = 0) contributing 0 (Q5). */
export default {
  kind: 'regularizer',
  name: 'entropy',
  description: 'Entropy of the attention, added to the loss to focus it (Q5).',
  schema,
  create(params, { tf }) {
    return {
      penalty({ attention }) {
        const plogp = tf.mul(attention, tf.log(tf.add(attention, 1e-12)));
        return tf.mul(tf.neg(tf.mean(tf.sum(plogp, 1))), params.weight);
      },
    };
  },
} satisfies PluginDescriptor<'regularizer', typeof schema>;
