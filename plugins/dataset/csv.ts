import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', default: '', description: 'The data file when it is the only one (validation and test are carved from it); relative to the config file. Same as train.' },
    train: { type: 'string', default: '', description: 'The training file, relative to the config file.' },
    validation: { type: 'string', default: '', description: 'The validation file; empty: carved from train.' },
    test: { type: 'string', default: '', description: 'The test file; empty: carved from train.' },
    text: { type: ['string', 'integer'], minimum: 0, default: 'text', description: 'Column of the texts: a header name, or a 0-based index when header is false.' },
    label: { type: ['string', 'integer'], minimum: 0, default: 'label', description: 'Column of the labels: a header name, or a 0-based index when header is false.' },
    delimiter: { type: 'string', minLength: 0, maxLength: 1, default: '', description: 'Field delimiter; empty: tab for .tsv files, else a comma.' },
    quote: { type: 'string', maxLength: 1, default: '"', description: 'Quote character (quoted fields may hold delimiters, quotes doubled, line breaks); empty: none.' },
    header: { type: 'boolean', default: true, description: 'Whether the first row names the columns.' },
    labels: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Class names in order. Empty: the training labels, sorted (numerically when all are integers). With integer labels, label i is the i-th name.' },
    val_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of the training pool carved out (stratified, seeded) as validation when there is no validation file.' },
    test_fraction: { type: 'number', minimum: 0, maximum: 0.5, default: 0.2, description: 'Share of the training file carved out (stratified, seeded) as test when there is no test file.' },
    train_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many training examples (stratified, seeded), validation included; 0 = all.' },
    test_limit: { type: 'integer', minimum: 0, default: 0, description: 'Use only this many test examples (stratified, seeded); 0 = all.' },
  },
} as const;


/** Labelled texts in a CSV or TSV file (any delimiter; quoted multi-line fields, a BOM and .gz are fine). */
export default {
  kind: 'dataset',
  name: 'csv',
  description: 'Labelled texts from CSV/TSV files (any delimiter, quoting, multi-line fields, BOM, .gz).',
  schema,
  create(params, ctx) {
    const files = ctx.data.fileSplits(params);
    return { load: () => ctx.data.loadFiles({ ...files, format: 'csv', text: params.text, label: params.label, delimiter: params.delimiter || undefined, quote: params.quote, header: params.header }, ctx) };
  },
} satisfies PluginDescriptor<'dataset', typeof schema>;
