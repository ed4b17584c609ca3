import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) => f.glove6bArchive();

/** GloVe 6B 50d: member glove.6B.50d.txt of the official glove.6B.zip. */
export default {
  kind: 'embeddings',
  name: 'glove-6b-50d',
  description: 'GloVe 6B 50d (400k tokens) from the official glove.6B.zip (by path, cache or download).',
  schema,
  create: (params, ctx) => ctx.vectors.fromGlove6bZip({ dim: 50, ...params }, ctx),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
