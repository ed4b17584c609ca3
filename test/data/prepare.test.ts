import test from 'ava';
import type { LabelledCorpus } from '../../src/plugin-api.js';
import { PAD_ID, UNK_ID, prepareData, reviewTokens, selectRows } from '../../src/data/prepare.js';
import { VectorTable } from '../../src/data/vector-table.js';

const table = new VectorTable(['good', 'bad', 'film', 'not', 'unseen'], Float32Array.from({ length: 10 }, (_, i) => i + 1), 2);
const corpus: LabelledCorpus = {
  labels: ['neg', 'pos'],
  train: [
    { id: 'a', text: 'Good film zzz', label: 1 },
    { id: 'b', text: "Bad film isn't good", label: 0 },
  ],
  validation: [{ id: 'c', text: 'unseen good', label: 1 }],
  test: [{ id: 'd', text: 'film film film film', label: 0 }],
};

test('the vocabulary is PAD, UNK, then training tokens that have a vector', async (t) => {
  const prepared = await prepareData(corpus, table, { maxLength: 10 });
  t.deepEqual(prepared.vocabulary, ['<pad>', '<unk>', 'good', 'film', 'bad', "n't"]);
  t.is(prepared.dim, 2);
  t.deepEqual([...prepared.embeddings], [0, 0, 0, 0, 1, 2, 5, 6, 3, 4, 7, 8]);
});

test('splits are encoded with offsets and labels; unknown and validation-only tokens are UNK', async (t) => {
  const prepared = await prepareData(corpus, table, { maxLength: 10 });
  t.deepEqual([...prepared.train.ids], [2, 3, UNK_ID, 4, 3, UNK_ID, 5, 2]);
  t.deepEqual([...prepared.train.offsets], [0, 3, 8]);
  t.deepEqual([...prepared.train.labels], [1, 0]);
  t.deepEqual([...prepared.validation.ids], [UNK_ID, 2]);
  t.false(prepared.vocabulary.includes('unseen'));
  t.not(PAD_ID, UNK_ID);
});

test('the OOV rate counts training tokens without a vector', async (t) => {
  const prepared = await prepareData(corpus, table, { maxLength: 10 });
  t.is(prepared.oovRate, 2 / 8);
});

test('a token without a vector falls back to its full form or its spelling without accents', async (t) => {
  const withFallbacks = new VectorTable(['not', 'cliche', 'film'], new Float32Array(6), 2);
  const prepared = await prepareData({ labels: ['neg', 'pos'], train: [{ id: 'a', text: "isn't clich\u00e9 film", label: 0 }], validation: [], test: [] }, withFallbacks, { maxLength: 10 });
  t.deepEqual(prepared.vocabulary, ['<pad>', '<unk>', "n't", 'clich\u00e9', 'film']);
  t.is(prepared.oovRate, 1 / 4);
});

test('maxLength cuts each example but not the OOV count', async (t) => {
  const prepared = await prepareData(corpus, table, { maxLength: 2 });
  t.deepEqual([...prepared.test.offsets], [0, 2]);
  t.deepEqual([...prepared.train.offsets], [0, 2, 4]);
  t.is(prepared.oovRate, 2 / 8);
});

test('held-out splits tokenised partly in a worker thread encode as in this thread', async (t) => {
  const heldOut = (texts: string[], first: string) => texts.map((text, index) => ({ id: `${first}${index}`, text, label: index % 2 }));
  const varied: LabelledCorpus = {
    labels: ['neg', 'pos'],
    train: heldOut(["Good film, isn't it? 7/10", 'Bad bad film\u2026 not good'], 'train'),
    // The worker thread takes the tail from the last validation example on.
    validation: heldOut(['A clich\u00e9: unseen film', 'good good', 'film film zzz good'], 'validation'),
    test: heldOut(['', 'bad film, not good', 'not not not', 'film', 'good bad film not'], 'test'),
  };
  const inThisThread = await prepareData(varied, table, { maxLength: 3, threadFrom: Infinity });
  const withWorker = await prepareData(varied, table, { maxLength: 3, threadFrom: 0 });
  t.deepEqual(withWorker, inThisThread);
  t.deepEqual([...withWorker.validation.ids], [UNK_ID, UNK_ID, UNK_ID, 2, 2, 3, 3, UNK_ID]);
  t.deepEqual([...withWorker.test.offsets], [0, 0, 3, 6, 7, 10]);
  t.deepEqual([...withWorker.test.ids.subarray(7)], [2, 5, 3]);
  t.deepEqual([...withWorker.test.labels], [0, 1, 0, 1, 0]);
});

/** Test reviews with words the vocabulary lacks ("zzz", "qqq", "unseen"), one longer than the cut. */
const wordy: LabelledCorpus = {
  ...corpus,
  test: [
    { id: 'd', text: 'Good zzz film qqq zzz', label: 1 },
    { id: 'e', text: 'unseen', label: 0 },
    { id: 'f', text: 'bad film bad film bad film bad', label: 0 },
  ],
};

for (const threadFrom of [Number.MAX_SAFE_INTEGER, 0]) {
  test(`the test split keeps its words: unknown ones as written, and each review's length before the cut (${threadFrom ? 'this thread' : 'worker thread'})`, async (t) => {
    const prepared = await prepareData(wordy, table, { maxLength: 4, threadFrom });
    const shown = [0, 1, 2].map((row) => reviewTokens(prepared.test, prepared.vocabulary, row));
    t.deepEqual(shown, [
      { tokens: ['good', 'zzz', 'film', 'qqq'], fullLength: 5 },
      { tokens: ['unseen'], fullLength: 1 },
      { tokens: ['bad', 'film', 'bad', 'film'], fullLength: 7 },
    ]);
    t.deepEqual(prepared.test.words.unknownWords, ['zzz', 'qqq', 'unseen']);
  });
}

test('rows selected from a split keep their ids, labels and words', async (t) => {
  const prepared = await prepareData(wordy, table, { maxLength: 4 });
  const picked = selectRows(prepared.test, [2, 0]);
  t.is(picked.size, 2);
  t.deepEqual([...picked.labels], [0, 1]);
  t.deepEqual([...picked.ids], [...prepared.test.ids.subarray(prepared.test.offsets[2], prepared.test.offsets[3]), ...prepared.test.ids.subarray(0, prepared.test.offsets[1])]);
  t.deepEqual([reviewTokens(picked, prepared.vocabulary, 0), reviewTokens(picked, prepared.vocabulary, 1)], [reviewTokens(prepared.test, prepared.vocabulary, 2), reviewTokens(prepared.test, prepared.vocabulary, 0)]);
});
