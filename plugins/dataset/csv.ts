import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      ...f.dataFiles(),
      text: { type: ['string', 'integer'], minimum: 0, default: 'text', description: 'Column of the texts: a header name, or a 0-based index when header is false.' },
      label: { type: ['string', 'integer'], minimum: 0, default: 'label', description: 'Column of the labels: a header name, or a 0-based index when header is false.' },
      delimiter: { type: 'string', minLength: 0, maxLength: 1, default: '', description: 'Field delimiter; empty: tab for .tsv files, else a comma.' },
      quote: { type: 'string', maxLength: 1, default: '"', description: 'Quote character (quoted fields may hold delimiters, quotes doubled, line breaks); empty: none.' },
      header: { type: 'boolean', default: true, description: 'Whether the first row names the columns.' },
      ...f.dataSplits(),
    },
  }) as const;

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
