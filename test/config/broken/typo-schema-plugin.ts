/** A user plugin whose params schema misspells `minimum`: refused when it loads. */
export default {
  kind: 'pooler',
  name: 'typo-schema',
  description: 'A pooler with a misspelt schema keyword.',
  schema: { type: 'object', additionalProperties: false, properties: { scale: { type: 'number', minimun: 0, default: 1, description: 'A scale.' } } },
  create() {
    throw new Error('never built');
  },
};
