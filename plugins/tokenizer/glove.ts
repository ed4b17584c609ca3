import type { PluginDescriptor } from '../../src/plugin-api.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {},
} as const;

/**
 * The tokenizer of GloVe 6B's vocabulary (Wikipedia + Gigaword through the Stanford PTB
 * tokeniser): lower-case, punctuation as tokens, clitics split (`don't` → `do n't`), hyphenated
 * words and numbers whole, IMDB's `<br />` dropped. The core keeps it, as the default of every run.
 */
export default {
  kind: 'tokenizer',
  name: 'glove',
  description: 'English, as GloVe 6B was tokenised (PTB style: lower-case, punctuation, clitics split); the default.',
  schema,
  create: (_params, { glove }) => glove,
} satisfies PluginDescriptor<'tokenizer', typeof schema>;
