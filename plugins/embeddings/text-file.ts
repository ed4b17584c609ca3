import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', minLength: 1, description: 'A GloVe or word2vec text file (.txt or .txt.gz), relative to the config file.' },
      trainable: f.trainable(),
    },
  }) as const;

/** Any GloVe (`word v1 … vd`) or word2vec text file (same, after a `count dim` line). */
export default {
  kind: 'embeddings',
  name: 'text-file',
  description: 'Vectors from a GloVe or word2vec text file (.txt or .txt.gz).',
  schema,
  create: (params, ctx) => ctx.vectors.fromTextFile(params, ctx),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
