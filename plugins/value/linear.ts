import type { PluginDescriptor } from '../../src/plugin-api.js';
import { createMlp, mlpSchema } from '../../src/model/mlp.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dim: { type: 'integer', minimum: 1, maximum: 4096, description: 'Output size; default: the input size.' },
    activation: { ...mlpSchema.properties.activation, default: 'linear', description: 'Activation of v(h); tanh makes the value transform non-linear.' },
  },
} as const;

/** v_θ(h) = act(W·h + b) (the brief’s Q3 value transform). */
export default {
  kind: 'value',
  name: 'linear',
  description: 'Value transform v(h) = activation(W·h + b), pooled under the attention (Q3).',
  schema,
  create(params, ctx) {
    return createMlp('value', [ctx.inputDim, params.dim ?? ctx.inputDim], 'linear', ctx, params.activation);
  },
} satisfies PluginDescriptor<'value', typeof schema>;
