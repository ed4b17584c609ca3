import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = { type: 'object', additionalProperties: false, properties: {} } as const;

export default {
  kind: 'pooler',
  name: 'mean',
  description: 'Mean over the real tokens: uniform attention (the brief’s baseline, Q1).',
  schema,
  create(_params, { tf }) {
    return {
      variables: [],
      attend: (_h, mask) => tf.div(mask, tf.sum(mask, 1, true)),
    };
  },
} satisfies PluginDescriptor<'pooler', typeof schema>;
