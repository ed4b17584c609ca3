import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      layers: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Stacked layers; attention pools the last one.' },
      state_size: { ...f.units(64, 'State size per direction.'), 'x-renamed-from': 'hidden' },
      bidirectional: { type: 'boolean', default: false, description: 'Also read each review right to left and concatenate both states.' },
      dropout: f.dropout('Dropout on the inputs of layers above the first, while training.'),
    },
  }) as const;

/** Stacked, optionally bidirectional GRU layers over the embeddings. */
export default {
  kind: 'encoder',
  name: 'gru',
  description: 'GRU encoder (one or more layers, optionally bidirectional) under the attention (Q4).',
  schema,
  outputDim: (params) => params.state_size * (params.bidirectional ? 2 : 1),
  create: (params, ctx) =>
    ctx.nn.recurrentLayers('gru', {
      inputDim: ctx.inputDim,
      stateSize: params.state_size,
      layers: params.layers,
      bidirectional: params.bidirectional,
      dropout: params.dropout,
      seed: ctx.seed,
    }),
} satisfies PluginDescriptor<'encoder', typeof schema>;
