import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      hidden_units: { ...f.units(0, 'Units of one hidden layer; 0 = a plain linear classifier.', 0), 'x-renamed-from': 'hidden' },
      activation: f.activation('relu', 'Activation of the hidden layer.'),
      dropout: f.dropout('Dropout on the pooled vector while training.'),
    },
  }) as const;

export default {
  kind: 'head',
  name: 'linear',
  description: 'Linear classifier on the pooled vector (optionally one hidden layer), trained with cross-entropy.',
  schema,
  create(params, ctx) {
    const sizes = [ctx.inputDim, ...(params.hidden_units > 0 ? [params.hidden_units] : []), ctx.numClasses];
    const layers = ctx.nn.mlp('head', sizes, { activation: params.activation, seed: ctx.seed });
    const dropoutSeed = ctx.nn.deriveSeed(ctx.seed, 'head/dropout');
    return {
      variables: layers.variables,
      apply(t, training) {
        const input = training && params.dropout > 0 ? ctx.nn.dropout(t, params.dropout, dropoutSeed) : t;
        return layers.apply(input);
      },
    };
  },
} satisfies PluginDescriptor<'head', typeof schema>;
