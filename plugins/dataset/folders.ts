import type { PluginDescriptor, SchemaFields } from '../../src/plugin-api.js';

const schema = (f: SchemaFields) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      ...f.dataFiles(),
      encoding: { enum: ['utf-8', 'latin1'], default: 'utf-8', description: 'Encoding of the files; a file that is not valid UTF-8 is an error naming it.' },
      ...f.dataSplits(),
    },
  }) as const;

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
