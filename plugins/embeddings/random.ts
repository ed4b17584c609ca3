import { randomEmbeddings } from '../../src/data/embeddings.js';
import { SYNTHETIC_VOCABULARY } from '../../src/data/synthetic.js';
import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dim: { type: 'integer', minimum: 1, maximum: 1024, default: 16, description: 'Size of each vector.' },
    seed: { type: 'integer', minimum: 0, default: 1, description: 'Seed of the vectors; a word keeps its vector whatever the other words.' },
    words: { type: 'array', items: { type: 'string' }, default: [], description: 'Words to embed besides the synthetic dataset\'s vocabulary.' },
    trainable: { type: 'boolean', default: false, description: 'Let the model fine-tune the vectors.' },
  },
} as const;

/** Random vectors for the synthetic dataset's vocabulary (and any extra words): no GloVe needed. */
export default {
  kind: 'embeddings',
  name: 'random',
  description: 'Seeded random vectors for the synthetic vocabulary and any listed words.',
  schema,
  create: (params) => randomEmbeddings({ dim: params.dim, seed: params.seed, trainable: params.trainable, words: [...SYNTHETIC_VOCABULARY, ...params.words] }),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
