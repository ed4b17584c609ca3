import type { PluginDescriptor } from '../../src/plugin-api.js';

const IMDB_URL = 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz';
const IMDB_SHA256 = 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', default: '', description: 'aclImdb_v1.tar.gz or an extracted aclImdb/ folder, relative to the config file. Empty: $ATTNLAB_IMDB, then the cache, then a download.' },
    url: { type: 'string', default: IMDB_URL, description: 'Where to download the archive when no local copy is found (a mirror or local server may stand in). Empty: never download.' },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', default: IMDB_SHA256, description: 'Checksum the downloaded archive must have.' },
    val_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the training pool carved out (stratified, seeded) as the validation split.' },
    train_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many training reviews (stratified, seeded), validation included; 0 = all 25,000.' },
    test_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many test reviews (stratified, seeded); 0 = all 25,000.' },
  },
} as const;

/** The Large Movie Review Dataset (Maas et al., 2011), read from its official archive. */
export default {
  kind: 'dataset',
  name: 'imdb',
  description: 'IMDB movie reviews (Maas et al. 2011): 25k train / 25k test, neg/pos, ratings kept.',
  schema,
  create(params, ctx) {
    const options = { path: params.path, url: params.url, sha256: params.sha256, valFraction: params.val_fraction, trainLimit: params.train_limit, testLimit: params.test_limit };
    return { load: () => ctx.data.loadImdb(options, ctx) };
  },
} satisfies PluginDescriptor<'dataset', typeof schema>;
