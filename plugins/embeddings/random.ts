import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      dim: { type: 'integer', minimum: 1, maximum: 1024, default: 16, description: 'Size of each vector.' },
      seed: { type: 'integer', minimum: 0, default: 1, description: 'Seed of the vectors; a word keeps its vector whatever the other words.' },
      words: { type: 'array', items: { type: 'string' }, default: [], description: 'Words to embed besides the synthetic dataset\'s vocabulary.' },
      trainable: f.trainable(),
      vocabulary: { enum: ['listed', 'training'], default: 'listed', description: 'listed: the synthetic vocabulary and words; training: also every training token seen min_count times (the max_size most frequent), for your own data.' },
      min_count: { type: 'integer', minimum: 1, default: 1, description: 'With vocabulary: training, the fewest occurrences a token needs to get a vector.' },
      max_size: { type: 'integer', minimum: 0, default: 0, description: 'With vocabulary: training, the most tokens kept, most frequent first; 0 = all.' },
    },
  }) as const;

/** Random vectors for the synthetic dataset's vocabulary (and any extra words): no GloVe needed. */
export default {
  kind: 'embeddings',
  name: 'random',
  description: 'Seeded random vectors for the synthetic vocabulary and any listed words, or for the training vocabulary.',
  schema,
  create: (params, ctx) =>
    ctx.vectors.random({
      dim: params.dim,
      seed: params.seed,
      trainable: params.trainable,
      words: params.vocabulary === 'training' ? params.words : [...ctx.vectors.syntheticVocabulary, ...params.words],
      ...(params.vocabulary === 'training' ? { vocabularyFromTraining: { minCount: params.min_count, maxSize: params.max_size } } : {}),
    }),
} satisfies PluginDescriptor<'embeddings', typeof schema>;
