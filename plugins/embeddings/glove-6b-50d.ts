import { GLOVE_6B_SHA256, GLOVE_6B_URL, glove6bEmbeddings } from '../../src/data/embeddings.js';
import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', default: '', description: 'glove.6B.zip, relative to the config file. Empty: the cache, then a download.' },
    url: { type: 'string', default: GLOVE_6B_URL, description: 'Where to download glove.6B.zip when no local copy is found. Empty: never download.' },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', default: GLOVE_6B_SHA256, description: 'Checksum the downloaded archive must have.' },
    trainable: { type: 'boolean', default: false, description: 'Let the model fine-tune the vectors.' },
  },
} as const;

/** GloVe 6B 50d: member glove.6B.50d.txt of the official glove.6B.zip. */
export default {
  kind: 'embeddings',
  name: 'glove-6b-50d',
  description: 'GloVe 6B 50d (400k tokens) from the official glove.6B.zip (by path, cache or download).',
  schema,
  create: (params, ctx) => glove6bEmbeddings({ dim: 50, ...params }, ctx),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
