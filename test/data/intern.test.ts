import test from 'ava';
import { internInThread, internTokens } from '../../src/data/intern.js';

test('each distinct token takes the next id when first met', (t) => {
  const interned = internTokens(['The film, the END.', 'An end'], 10);
  t.deepEqual(interned.tokens, ['the', 'film', ',', 'end', '.', 'an']);
  t.deepEqual([...interned.ids], [0, 1, 2, 0, 3, 4, 5, 3]);
  t.deepEqual([...interned.offsets], [0, 6, 8]);
});

test('maxLength cuts each text, but every occurrence is counted and every token interned', (t) => {
  const interned = internTokens(['a b a b c', 'b'], 2);
  t.deepEqual(interned.tokens, ['a', 'b', 'c']);
  t.deepEqual([...interned.ids], [0, 1, 1]);
  t.deepEqual([...interned.offsets], [0, 2, 3]);
  t.deepEqual([...interned.counts], [2, 3, 1]);
});

test('empty texts and no texts give empty ranges', (t) => {
  const interned = internTokens(['', '   ', 'x'], 5);
  t.deepEqual([...interned.offsets], [0, 0, 0, 1]);
  t.deepEqual(internTokens([], 5).tokens, []);
});

test('a worker thread interns as this thread does', async (t) => {
  const texts = ["Isn't it a cliché? 7/10", 'word '.repeat(50), '', 'ünïcödé — text… ok'];
  t.deepEqual(await internInThread(texts, 30), internTokens(texts, 30));
});
