import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      ...f.dataFiles(),
      text: { type: 'string', minLength: 1, default: 'text', description: 'Field of the text; a dotted path (review.body) for nested objects.' },
      label: { type: 'string', minLength: 1, default: 'label', description: 'Field of the label (a string or an integer); a dotted path for nested objects.' },
      ...f.dataSplits(),
    },
  }) as const;

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
