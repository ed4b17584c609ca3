import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', default: '', description: 'The data file when it is the only one (validation and test are carved from it); relative to the config file. Same as train.' },
    train: { type: 'string', default: '', description: 'The training file, relative to the config file.' },
    validation: { type: 'string', default: '', description: 'The validation file; empty: carved from train.' },
    test: { type: 'string', default: '', description: 'The test file; empty: carved from train.' },
    text: { type: 'string', minLength: 1, default: 'text', description: 'Field of the text; a dotted path (review.body) for nested objects.' },
    label: { type: 'string', minLength: 1, default: 'label', description: 'Field of the label (a string or an integer); a dotted path for nested objects.' },
    labels: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Class names in order. Empty: the training labels, sorted (numerically when all are integers). With integer labels, label i is the i-th name.' },
    val_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the training pool carved out (stratified, seeded) as validation when there is no validation file.' },
    test_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.2, description: 'Share of the training file carved out (stratified, seeded) as test when there is no test file.' },
    train_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many training examples (stratified, seeded), validation included; 0 = all.' },
    test_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many test examples (stratified, seeded); 0 = all.' },
  },
} as const;


/** Labelled texts as JSON Lines: one object per line, text and label as (dotted) fields; .gz is fine. */
export default {
  kind: 'dataset',
  name: 'jsonl',
  description: 'Labelled texts from JSON Lines files (one object per line, dotted fields, .gz).',
  schema,
  create(params, ctx) {
    const files = ctx.data.fileSplits(params);
    return { load: () => ctx.data.loadFiles({ ...files, format: 'jsonl', text: params.text, label: params.label }, ctx) };
  },
} satisfies PluginDescriptor<'dataset', typeof schema>;
