/** Worker thread of `internInThread`. */
import type { AnyPlugin, Tokenizer } from '../plugin-api.js';
import { importPlugin } from '../plugins/registry.js';
import { answerInThread } from '../thread.js';
import { internTokens, type InternedTexts, type InternRequest } from './intern.js';
import type { TokenizerSpec } from './token-plugin.js';
import { TOKENIZER_CONTEXT } from './tokenize.js';

answerInThread<InternRequest, InternedTexts>(async ({ texts, maxLength, tokenizer }) => {
  const interned = internTokens(texts, maxLength, tokenizer ? await rebuildTokenizer(tokenizer) : undefined);
  // Moved, not copied: the ids are most of the answer.
  return { value: interned, transfer: [interned.ids.buffer, interned.offsets.buffer, interned.fullLengths.buffer, interned.counts.buffer] as ArrayBuffer[] };
});

/** The tokenizer of `spec`, imported and created afresh: the plugin module alone, not the run's container. */
async function rebuildTokenizer(spec: TokenizerSpec): Promise<Tokenizer> {
  // importPlugin checks that the file declares this kind and name.
  const plugin = (await importPlugin(spec.file, { kind: 'tokenizer', name: spec.block.type })) as Extract<AnyPlugin, { kind: 'tokenizer' }>;
  const { type: _type, ...params } = spec.block;
  return plugin.create(params as never, TOKENIZER_CONTEXT);
}
