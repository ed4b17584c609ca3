/** Worker thread of `internInThread`. */
import { answerInThread } from '../thread.js';
import { internTokens, type InternedTexts, type InternRequest } from './intern.js';
import { rebuildTokenizer } from './token-plugin.js';

answerInThread<InternRequest, InternedTexts>(async ({ texts, maxLength, tokenizer }) => {
  const interned = internTokens(texts, maxLength, tokenizer ? await rebuildTokenizer(tokenizer) : undefined);
  // Moved, not copied: the ids are most of the answer.
  return { value: interned, transfer: [interned.ids.buffer, interned.offsets.buffer, interned.counts.buffer] as ArrayBuffer[] };
});
