import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'Momentum; 0 = plain SGD.' },
    nesterov: { type: 'boolean', default: false, description: 'Nesterov momentum.' },
  },
} as const;

export default {
  kind: 'optimizer',
  name: 'sgd',
  description: 'Stochastic gradient descent with momentum; the learning rate is train.lr.',
  schema,
  create: (params, { tf, learningRate }) =>
    params.momentum > 0 ? tf.train.momentum(learningRate, params.momentum, params.nesterov) : tf.train.sgd(learningRate),
} satisfies PluginDescriptor<'optimizer', typeof schema>;
