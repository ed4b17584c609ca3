import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', default: '', description: 'The data file when it is the only one (validation and test are carved from it); relative to the config file. Same as train.' },
    train: { type: 'string', default: '', description: 'The training file, relative to the config file.' },
    validation: { type: 'string', default: '', description: 'The validation file; empty: carved from train.' },
    test: { type: 'string', default: '', description: 'The test file; empty: carved from train.' },
    encoding: { enum: ['utf-8', 'latin1'], default: 'utf-8', description: 'Encoding of the files; a file that is not valid UTF-8 is an error naming it.' },
    labels: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Class names in order. Empty: the training labels, sorted (numerically when all are integers). With integer labels, label i is the i-th name.' },
    val_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the training pool carved out (stratified, seeded) as validation when there is no validation file.' },
    test_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.2, description: 'Share of the training file carved out (stratified, seeded) as test when there is no test file.' },
    train_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many training examples (stratified, seeded), validation included; 0 = all.' },
    test_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many test examples (stratified, seeded); 0 = all.' },
  },
} as const;


/** One folder per class (root/<class>/<file>), as aclImdb, 20 Newsgroups and scikit-learn load_files; path may hold train/ and test/. */
export default {
  kind: 'dataset',
  name: 'folders',
  description: 'Labelled texts as one folder per class (root/<class>/<file>), optional train/ and test/ folders.',
  schema,
  create(params, ctx) {
    const files = ctx.data.fileSplits(params);
    return { load: () => ctx.data.loadFiles({ ...files, format: 'folders', text: 'text', label: 'label', encoding: params.encoding }, ctx) };
  },
} satisfies PluginDescriptor<'dataset', typeof schema>;
