import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Decay of the first moment.' },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'Decay of the second moment.' },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-8, description: 'Added to the denominator.' },
  },
} as const;

export default {
  kind: 'optimizer',
  name: 'adam',
  description: 'Adam (Kingma & Ba 2015), the default; the learning rate is train.lr.',
  schema,
  create: (params, { tf, learningRate }) => tf.train.adam(learningRate, params.beta1, params.beta2, params.epsilon),
} satisfies PluginDescriptor<'optimizer', typeof schema>;
