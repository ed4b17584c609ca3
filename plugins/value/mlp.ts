import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      hidden_layers: {
        type: 'array',
        items: { type: 'integer', minimum: 1, maximum: 4096 },
        default: [100],
        description: 'Sizes of the hidden layers.',
        'x-renamed-from': 'hidden',
      },
      dim: f.outputDim(),
      activation: f.activation('tanh', 'Activation after each layer but the last.'),
    },
  }) as const;

/** v_θ(h) = W2·act(W1·h + b1) + b2: a richer value transform. */
export default {
  kind: 'value',
  name: 'mlp',
  description: 'Value transform by a small MLP (hidden layers, activation configurable).',
  schema,
  outputDim: (params, inputDim) => params.dim ?? inputDim,
  create(params, ctx) {
    return ctx.nn.mlp('value', [ctx.inputDim, ...params.hidden_layers, params.dim ?? ctx.inputDim], { activation: params.activation, seed: ctx.seed });
  },
} satisfies PluginDescriptor<'value', typeof schema>;
