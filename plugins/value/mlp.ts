import type { PluginDescriptor } from '../../src/plugin-api.js';
import { createMlp, mlpSchema } from '../../src/model/mlp.js';

const schema = mlpSchema;

/** v_θ(h) = W2·act(W1·h + b1) + b2: a richer value transform. */
export default {
  kind: 'value',
  name: 'mlp',
  description: 'Value transform by a small MLP (hidden layers, activation configurable).',
  schema,
  create(params, ctx) {
    return createMlp('value', [ctx.inputDim, ...params.hidden, params.dim ?? ctx.inputDim], params.activation, ctx);
  },
} satisfies PluginDescriptor<'value', typeof schema>;
