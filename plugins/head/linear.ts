import type { PluginDescriptor } from '../../src/plugin-api.js';
import { ACTIVATIONS, createMlp } from '../../src/model/mlp.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hidden: { type: 'integer', minimum: 0, maximum: 4096, default: 0, description: 'Units of one hidden layer; 0 = a plain linear classifier.' },
    activation: { enum: [...ACTIVATIONS], default: 'relu', description: 'Activation of the hidden layer.' },
    dropout: { type: 'number', minimum: 0, maximum: 0.95, default: 0, description: 'Dropout on the pooled vector while training.' },
  },
} as const;

export default {
  kind: 'head',
  name: 'linear',
  description: 'Linear classifier on the pooled vector (optionally one hidden layer), trained with cross-entropy.',
  schema,
  create(params, ctx) {
    const sizes = [ctx.inputDim, ...(params.hidden > 0 ? [params.hidden] : []), ctx.numClasses];
    const layers = createMlp('head', sizes, params.activation, ctx);
    let dropoutCalls = 0;
    return {
      variables: layers.variables,
      apply(t, training) {
        const input = training && params.dropout > 0 ? ctx.nn.dropout(t, params.dropout, ctx.seed + ++dropoutCalls) : t;
        return layers.apply(input as never, training) as unknown as typeof t;
      },
    };
  },
} satisfies PluginDescriptor<'head', typeof schema>;
