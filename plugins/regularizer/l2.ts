import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    weight: { type: 'number', minimum: 0, default: 0.0001, description: 'Adds weight × Σ w² of the chosen variables to the loss.' },
    include: {
      type: 'string',
      default: '.*',
      description: 'Regular expression on variable names (e.g. "^head/|^pooler/"); `attnlab plugins` lists no names, a run logs them.',
    },
  },
} as const;

export default {
  kind: 'regularizer',
  name: 'l2',
  description: 'L2 penalty on the variables whose name matches a pattern.',
  schema,
  create(params, { tf }) {
    const pattern = new RegExp(params.include);
    return {
      penalty(_output, variables) {
        const chosen = variables.filter((variable) => pattern.test(variable.name));
        if (chosen.length === 0) return tf.scalar(0);
        return tf.mul(tf.addN(chosen.map((variable) => tf.sum(tf.square(variable)))), params.weight);
      },
    };
  },
} satisfies PluginDescriptor<'regularizer', typeof schema>;
