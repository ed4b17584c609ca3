/** Worker thread of `internInThread`. */
import { answerInThread } from '../thread.js';
import { internTokens, type InternedTexts, type InternRequest } from './intern.js';

answerInThread<InternRequest, InternedTexts>(({ texts, maxLength }) => {
  const interned = internTokens(texts, maxLength);
  // Moved, not copied: the ids are most of the answer.
  return { value: interned, transfer: [interned.ids.buffer, interned.offsets.buffer, interned.counts.buffer] as ArrayBuffer[] };
});
