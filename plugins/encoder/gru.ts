import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) => f.recurrentEncoder();

/** Stacked, optionally bidirectional GRU layers over the embeddings. */
export default {
  kind: 'encoder',
  name: 'gru',
  description: 'GRU encoder (one or more layers, optionally bidirectional) under the attention (Q4).',
  schema,
  outputDim: (params) => params.state_size * (params.bidirectional ? 2 : 1),
  create: (params, ctx) => ctx.recurrentEncoder('gru', params, ctx),
} satisfies PluginDescriptor<'encoder', typeof schema>;
