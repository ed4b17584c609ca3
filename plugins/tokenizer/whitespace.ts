import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    lowercase: { type: 'boolean', default: false, description: 'Lower-case the text first (by the rules of Unicode, whatever the language).' },
  },
} as const;

/** Any run of Unicode white space (spaces, tabs, line breaks, ideographic and no-break spaces) separates tokens. */
const NOT_SPACE = /[^\s]+/gu;

/** Tokens are what lies between white space: for text tokenised beforehand, or already one token per word. */
export default {
  kind: 'tokenizer',
  name: 'whitespace',
  description: 'Splits on Unicode white space; optionally lower-cases.',
  schema,
  create: (params, { hashRange }) => ({
    forEachToken(text, sink) {
      const source = params.lowercase ? text.toLowerCase() : text;
      for (const match of source.matchAll(NOT_SPACE)) {
        const end = match.index + match[0].length;
        sink(source, match.index, end, hashRange(source, match.index, end));
      }
    },
  }),
} satisfies PluginDescriptor<'tokenizer', typeof schema>;
