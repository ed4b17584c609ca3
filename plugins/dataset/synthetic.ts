import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    size: { type: 'integer', minimum: 2, default: 2000, description: 'Reviews in the training pool (validation included), half of each label.' },
    test_size: { type: 'integer', minimum: 2, default: 500, description: 'Reviews in the test split.' },
    min_length: { type: 'integer', minimum: 1, default: 10, description: 'Fewest words in a review.' },
    max_length: { type: 'integer', minimum: 1, default: 40, description: 'Most words in a review (not counting the final period).' },
    planted: { type: 'integer', minimum: 1, default: 2, description: 'Sentiment words planted in each review; they alone decide the label.' },
    val_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the training pool carved out as validation.' },
    seed: { type: 'integer', minimum: 0, default: 1, description: 'Seed of the generator: the same seed gives the same reviews.' },
  },
} as const;

/** Seeded synthetic reviews; pair with the `random` embeddings, which cover their vocabulary. */
export default {
  kind: 'dataset',
  name: 'synthetic',
  description: 'Synthetic reviews of filler words whose label is set by a few planted sentiment words.',
  schema,
  create(params, ctx) {
    const options = {
      size: params.size,
      testSize: params.test_size,
      minLength: params.min_length,
      maxLength: params.max_length,
      planted: params.planted,
      valFraction: params.val_fraction,
      seed: params.seed,
    };
    return { load: async () => ctx.data.syntheticCorpus(options) };
  },
} satisfies PluginDescriptor<'dataset', typeof schema>;
