import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      ...f.dataFiles(),
      text: { type: 'string', minLength: 1, default: 'text', description: 'Column of the texts.' },
      label: { type: 'string', minLength: 1, default: 'label', description: 'Column of the labels: strings, or integers (a Hugging Face ClassLabel) named by labels.' },
      ...f.dataSplits(),
    },
  }) as const;

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
