import { textFileEmbeddings } from '../../src/data/embeddings.js';
import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1, description: 'A GloVe or word2vec text file (.txt or .txt.gz), relative to the config file.' },
    trainable: { type: 'boolean', default: false, description: 'Let the model fine-tune the vectors.' },
  },
} as const;

/** Any GloVe (`word v1 … vd`) or word2vec text file (same, after a `count dim` line). */
export default {
  kind: 'embeddings',
  name: 'text-file',
  description: 'Vectors from a GloVe or word2vec text file (.txt or .txt.gz).',
  schema,
  create: (params, ctx) => textFileEmbeddings(params, ctx),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
