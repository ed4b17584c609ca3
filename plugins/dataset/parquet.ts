import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', default: '', description: 'The data file when it is the only one (validation and test are carved from it); relative to the config file. Same as train.' },
    train: { type: 'string', default: '', description: 'The training file, relative to the config file.' },
    validation: { type: 'string', default: '', description: 'The validation file; empty: carved from train.' },
    test: { type: 'string', default: '', description: 'The test file; empty: carved from train.' },
    text: { type: 'string', minLength: 1, default: 'text', description: 'Column of the texts.' },
    label: { type: 'string', minLength: 1, default: 'label', description: 'Column of the labels: strings, or integers (a Hugging Face ClassLabel) named by labels.' },
    labels: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Class names in order. Empty: the training labels, sorted (numerically when all are integers). With integer labels, label i is the i-th name.' },
    val_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the training pool carved out (stratified, seeded) as validation when there is no validation file.' },
    test_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.2, description: 'Share of the training file carved out (stratified, seeded) as test when there is no test file.' },
    train_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many training examples (stratified, seeded), validation included; 0 = all.' },
    test_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many test examples (stratified, seeded); 0 = all.' },
  },
} as const;


/** Labelled texts in Parquet files, the format Hugging Face datasets ship (train-00000-of-00001.parquet). */
export default {
  kind: 'dataset',
  name: 'parquet',
  description: 'Labelled texts from Parquet files (Hugging Face datasets; string or ClassLabel labels).',
  schema,
  create(params, ctx) {
    const files = ctx.data.fileSplits(params);
    return { load: () => ctx.data.loadFiles({ ...files, format: 'parquet', text: params.text, label: params.label }, ctx) };
  },
} satisfies PluginDescriptor<'dataset', typeof schema>;
