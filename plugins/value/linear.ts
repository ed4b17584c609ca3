import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      dim: f.outputDim(),
      activation: f.activation('linear', 'Activation of v(h); tanh makes the value transform non-linear.'),
    },
  }) as const;

/** v_θ(h) = act(W·h + b) (the brief’s Q3 value transform). */
export default {
  kind: 'value',
  name: 'linear',
  description: 'Value transform v(h) = activation(W·h + b), pooled under the attention (Q3).',
  schema,
  outputDim: (params, inputDim) => params.dim ?? inputDim,
  create(params, ctx) {
    return ctx.nn.mlp('value', [ctx.inputDim, params.dim ?? ctx.inputDim], { activation: 'linear', outputActivation: params.activation, seed: ctx.seed });
  },
} satisfies PluginDescriptor<'value', typeof schema>;
